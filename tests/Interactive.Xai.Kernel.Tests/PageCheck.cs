using System.Text.Json;
using Interactive.Xai.TestSupport;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace Interactive.Xai.Kernel.Tests;

/// <summary>
/// A headless Debian Chromium (Selenium + chromedriver) that opens a page and reports what drew: every chart div of
/// the package (<c>.xai-chart</c>) and every other plotly div, whether each has Plotly's <c>.main-svg</c>, script errors,
/// SEVERE console entries, and every resource the page fetched from anywhere but the page's own origin.
/// </summary>
public sealed partial class PageCheck : IDisposable
{
    /// <summary>
    /// Traffic of the kernel's own script, not the package's: a kernel installed by <c>jupyter install</c> runs with
    /// its HTTP API on (<c>--http-port-range 2048-3000</c>), and its first C# output is a script that probes the
    /// kernel's addresses (<c>POST http://host:2048/discovery</c>) and then loads <c>resources/dotnet-interactive.js</c>
    /// from the address that answered (<c>undefinedresources/...</c> when none did: a saved page, the kernel gone). Those
    /// requests and their failures are ignored; everything else counts.
    /// </summary>
    public static bool IsKernelHttpApi(string line) => KernelHttpApi().IsMatch(line);

    [System.Text.RegularExpressions.GeneratedRegex(@"(https?://[^/\s]+:(20[4-9][0-9]|2[1-9][0-9][0-9]|3000)/(discovery|resources/|extensions/))|(undefinedresources/dotnet-interactive\.js)")]
    private static partial System.Text.RegularExpressions.Regex KernelHttpApi();

    private const string HookScript = """
        (function(){
          var x = window.__xai = { errors: [] };
          window.addEventListener('error', function(e){
            var t = e.target;
            if (t && t !== window && t.tagName) { x.errors.push('failed to load ' + t.tagName + ' ' + (t.src || t.href || '')); return; }
            x.errors.push(String(e.message) + ' at ' + e.filename + ':' + e.lineno);
          }, true);
          window.addEventListener('unhandledrejection', function(e){ x.errors.push('unhandled rejection: ' + String(e.reason)); });
        })();
        """;

    /// <summary>Per chart div: id, whether it drew, and its text when it did not (the package's one-line notice).</summary>
    private const string ChartsScript = """
        var divs = Array.prototype.slice.call(document.querySelectorAll('.xai-chart, .js-plotly-plot, .plotly-graph-div'));
        divs = divs.filter(function(d, i){ return divs.indexOf(d) === i; });
        return divs.map(function(d){ return { id: d.id, drawn: !!d.querySelector('.main-svg'), text: (d.textContent || '').slice(0, 200) }; });
        """;

    private readonly string _profile;

    public PageCheck()
    {
        Prerequisites.RequireChromium();
        _profile = Directory.CreateTempSubdirectory("xai-kernel-chromium-").FullName;
        var service = ChromeDriverService.CreateDefaultService("/usr/bin", "chromedriver");
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = "/usr/bin/chromium" };
        options.AddArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage",
            "--allow-file-access-from-files", "--window-size=1280,1000", $"--user-data-dir={_profile}");
        options.SetLoggingPreference(LogType.Browser, LogLevel.All);
        Driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(120));
        Driver.Manage().Timeouts().PageLoad = TimeSpan.FromSeconds(120);
        Driver.Manage().Timeouts().AsynchronousJavaScript = TimeSpan.FromSeconds(60);
        Driver.ExecuteCdpCommand("Page.addScriptToEvaluateOnNewDocument", new Dictionary<string, object?> { ["source"] = HookScript });
    }

    public ChromeDriver Driver { get; }

    /// <summary>What a page showed: its charts, and every problem found (one line each).</summary>
    public sealed record Result(int Charts, int Drawn, IReadOnlyList<string> Problems);

    /// <summary>Opens <paramref name="url"/>, waits up to <paramref name="timeout"/> for every chart to draw, and reports.</summary>
    public Result Open(string url, TimeSpan timeout)
    {
        Driver.Navigate().GoToUrl(url);
        return Inspect(timeout, allowedOrigin: new Uri(url).Scheme == "file" ? null : new Uri(url).GetLeftPart(UriPartial.Authority));
    }

    /// <summary>Waits up to <paramref name="timeout"/> for every chart on the current page to draw, then reports.</summary>
    public Result Inspect(TimeSpan timeout, string? allowedOrigin)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonElement charts;
        while (true)
        {
            charts = Json(ChartsScript);
            if (charts.EnumerateArray().All(c => c.GetProperty("drawn").GetBoolean()) || DateTime.UtcNow > deadline) break;
            Thread.Sleep(250);
        }
        var problems = new List<string>();
        foreach (var chart in charts.EnumerateArray().Where(c => !c.GetProperty("drawn").GetBoolean()))
            problems.Add($"chart {chart.GetProperty("id").GetString()} did not draw: {chart.GetProperty("text").GetString()}");
        var hook = Json("return window.__xai || { errors: ['the page hook was not installed'] };");
        problems.AddRange(hook.GetProperty("errors").EnumerateArray().Select(e => "page error: " + e.GetString()));
        problems.AddRange(Driver.Manage().Logs.GetLog(LogType.Browser).Where(l => l.Level >= LogLevel.Severe)
            .Select(l => $"console {l.Level}: {l.Message}"));
        foreach (var resource in Json("return performance.getEntriesByType('resource').map(function(r){ return r.name; });").EnumerateArray())
        {
            string name = resource.GetString()!;
            bool local = name.StartsWith("file:", StringComparison.Ordinal) || name.StartsWith("data:", StringComparison.Ordinal)
                         || name.StartsWith("blob:", StringComparison.Ordinal)
                         || (allowedOrigin is not null && name.StartsWith(allowedOrigin + "/", StringComparison.Ordinal));
            if (!local) problems.Add("network request: " + name);
        }
        problems.RemoveAll(IsKernelHttpApi);
        int count = charts.GetArrayLength();
        return new Result(count, charts.EnumerateArray().Count(c => c.GetProperty("drawn").GetBoolean()), problems);
    }

    /// <summary>Runs a script whose result is JSON.stringify'd in the page and parsed here.</summary>
    public JsonElement Json(string body)
    {
        var text = (string)Driver.ExecuteScript($"return JSON.stringify((function(){{ {body} }})());")!;
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Saves the viewport as a PNG next to the run's other outputs.</summary>
    public void SaveScreenshot(string path) => Driver.GetScreenshot().SaveAsFile(path);

    public void Dispose()
    {
        Driver.Quit();
        Driver.Dispose();
        try { Directory.Delete(_profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
