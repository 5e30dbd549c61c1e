using System.Text.Json;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace Interactive.Xai.Browser.Tests;

/// <summary>
/// One headless Debian Chromium per test class (an xunit class fixture), driven through Debian's chromedriver.
/// Every page it opens gets, before any of the page's own scripts run, a hook that records script errors, failed
/// resource loads (an injected &lt;img src=x&gt; fails to load) and every alert/confirm/prompt call, so a test can
/// assert that nothing ran. When chromium or chromedriver is missing, the fixture installs them (as root) or throws:
/// the tests fail, never skip.
/// </summary>
public sealed class Browser : IDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const string DriverDirectory = "/usr/bin";
    public const string DriverName = "chromedriver";

    /// <summary>Installed in every document before its scripts: errors, resource failures and dialogs go to window.__xai.</summary>
    private const string HookScript = """
        (function(){
          var x = window.__xai = { errors: [], resourceErrors: [], alerts: [] };
          window.addEventListener('error', function(e){
            var t = e.target;
            if (t && t !== window && t.tagName) { x.resourceErrors.push(t.tagName + ' ' + (t.src || t.href || '')); return; }
            x.errors.push(String(e.message) + ' at ' + e.filename + ':' + e.lineno + ':' + e.colno);
          }, true);
          window.addEventListener('unhandledrejection', function(e){ x.errors.push('unhandled rejection: ' + String(e.reason)); });
          window.alert = function(m){ x.alerts.push('alert:' + String(m)); };
          window.confirm = function(m){ x.alerts.push('confirm:' + String(m)); return false; };
          window.prompt = function(m){ x.alerts.push('prompt:' + String(m)); return null; };
        })();
        """;

    /// <summary>Per chart: its title, its traces as plotly computed them, and the marks drawn in its SVG.</summary>
    public const string ChartSummaryScript = """
        return Array.prototype.map.call(document.querySelectorAll('.xai-chart'), function(gd){
          var traces = (gd._fullData || []).map(function(t, i){
            var cd = (gd.calcdata || [])[i] || [];
            var z = gd.data[i].z;
            return { type: t.type, visible: t.visible === true, mode: t.mode || '', calc: cd.length,
                     points: gd.data[i].x ? gd.data[i].x.length : 0, zRows: z ? z.length : 0, zColumns: z && z[0] ? z[0].length : 0 };
          });
          var title = gd._fullLayout.title && gd._fullLayout.title.text || '';
          return { id: gd.id, title: title, mainSvg: gd.querySelectorAll('.main-svg').length, traces: traces,
                   scatterPoints: gd.querySelectorAll('.scatterlayer .point').length,
                   scatterLines: gd.querySelectorAll('.scatterlayer .js-line').length,
                   bars: gd.querySelectorAll('.barlayer .point').length,
                   waterfallBars: gd.querySelectorAll('.waterfalllayer .point').length,
                   heatmapImages: gd.querySelectorAll('.heatmaplayer image').length,
                   heatmapTexts: gd.querySelectorAll('.heatmaplayer text').length,
                   contours: gd.querySelectorAll('.contourlayer .contour').length };
        });
        """;

    private readonly string _profile;

    public Browser()
    {
        // Installs chromium and chromium-driver with apt-get when they are missing and the tests run as root (a fresh
        // machine, CI); otherwise fails with one line naming the install command.
        Interactive.Xai.TestSupport.Prerequisites.RequireChromium();
        _profile = Directory.CreateTempSubdirectory("xai-chromium-profile-").FullName;
        var service = ChromeDriverService.CreateDefaultService(DriverDirectory, DriverName);
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = ChromiumPath };
        options.AddArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage",
            "--window-size=1280,1000", $"--user-data-dir={_profile}");
        options.SetLoggingPreference(LogType.Browser, LogLevel.All);
        Driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        Driver.Manage().Timeouts().PageLoad = TimeSpan.FromSeconds(60);
        Driver.Manage().Timeouts().AsynchronousJavaScript = TimeSpan.FromSeconds(30);
        Driver.ExecuteCdpCommand("Page.addScriptToEvaluateOnNewDocument", new Dictionary<string, object?> { ["source"] = HookScript });
    }

    public ChromeDriver Driver { get; }

    /// <summary>Opens a page file through file:// and waits until every chart div has drawn and is ready for clicks.</summary>
    public void Open(string path, TimeSpan? timeout = null)
    {
        Driver.Navigate().GoToUrl(new Uri(Path.GetFullPath(path)).AbsoluteUri);
        WaitUntil(() => Script<bool>("""
            var charts = document.querySelectorAll('.xai-chart');
            if (!window.Plotly) return false;
            for (var i = 0; i < charts.length; i++) {
              var gd = charts[i];
              if (!gd._fullLayout || !gd.querySelector('.main-svg') || typeof gd.on !== 'function') return false;
            }
            return true;
            """), timeout ?? TimeSpan.FromSeconds(60), "every chart on the page to draw");
    }

    /// <summary>Runs a script whose result is JSON.stringify'd in the page and parsed here.</summary>
    public JsonElement Json(string body)
    {
        var text = (string)Driver.ExecuteScript($"return JSON.stringify((function(){{ {body} }})());")!;
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public T Script<T>(string body) => (T)Driver.ExecuteScript(body)!;

    /// <summary>Script errors, failed resource loads and dialogs recorded by the hook, plus SEVERE console entries.</summary>
    public IReadOnlyList<string> PageProblems()
    {
        var hook = Json("return window.__xai || { errors: ['the page hook was not installed'], resourceErrors: [], alerts: [] };");
        var problems = new List<string>();
        foreach (var name in new[] { "errors", "resourceErrors", "alerts" })
            problems.AddRange(hook.GetProperty(name).EnumerateArray().Select(e => $"{name}: {e.GetString()}"));
        problems.AddRange(Driver.Manage().Logs.GetLog(LogType.Browser).Where(l => l.Level >= LogLevel.Severe).Select(l => $"console {l.Level}: {l.Message}"));
        return problems;
    }

    /// <summary>Dialog calls (alert, confirm, prompt) the page made.</summary>
    public IReadOnlyList<string> Alerts() => Json("return window.__xai.alerts;").EnumerateArray().Select(e => e.GetString()!).ToArray();

    /// <summary>Saves the viewport as a PNG under TestResults/Interactive.Xai.Browser.Tests/screenshots/ (a CI artifact).</summary>
    public string SaveScreenshot(string name)
    {
        string folder = Path.Combine(RepositoryRoot(), "TestResults", "Interactive.Xai.Browser.Tests", "screenshots");
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, name + ".png");
        Driver.GetScreenshot().SaveAsFile(path);
        return path;
    }

    public static void WaitUntil(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (condition()) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out after {timeout.TotalSeconds:F0} s waiting for {what}");
            Thread.Sleep(50);
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Interactive.Xai.sln"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }

    public void Dispose()
    {
        Driver.Quit();
        Driver.Dispose();
        try { Directory.Delete(_profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
