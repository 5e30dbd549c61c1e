using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit.Abstractions;

namespace Interactive.Xai.Kernel.Tests;

/// <summary>
/// What a user sees: Debian's classic jupyter-notebook server (127.0.0.1, a token, private folders) serves a tutorial,
/// Chromium opens it, the page itself runs every cell (Jupyter.notebook.execute_all_cells(), as Cell > Run All does),
/// and every chart draws there, with no error or stderr output in the page.
/// </summary>
[Collection(RealKernelCollection.Name)]
public class JupyterServerTests(RealKernel kernel, ITestOutputHelper output)
{
    [Fact]
    public void A_tutorial_run_from_the_notebook_page_draws_its_charts()
    {
        // The copy lives under TestResults (inside the repository, so the kernelspec's `dotnet interactive` finds the
        // local tool manifest); tutorial 01 reads no files of its own.
        string folder = Path.Combine(kernel.Work, "server");
        string copy = kernel.PointedCopy(Path.Combine(kernel.Root, "notebooks", "01-tabular-tour.ipynb"), folder);
        int port = FreePort();
        string token = Guid.NewGuid().ToString("N");
        var start = new ProcessStartInfo("/usr/bin/jupyter-notebook",
            $"--no-browser --allow-root --ip=127.0.0.1 --port={port} --port-retries=0 --NotebookApp.token={token} " +
            $"--NotebookApp.open_browser=False --notebook-dir=\"{folder}\"")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = folder,
        };
        kernel.Prepare(start);
        using var server = Process.Start(start)!;
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        server.OutputDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
        server.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            string baseUrl = $"http://127.0.0.1:{port}";
            WaitForServer(baseUrl + "/api/status?token=" + token, server, log);
            using var browser = new PageCheck();
            var clock = Stopwatch.StartNew();
            browser.Driver.Navigate().GoToUrl($"{baseUrl}/notebooks/{Path.GetFileName(copy)}?token={token}");
            Until(() => browser.Json("return !!(window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel && Jupyter.notebook.kernel.is_connected());").GetBoolean(),
                TimeSpan.FromMinutes(3), "the notebook page to connect to its kernel", log);
            browser.Json("Jupyter.notebook.clear_all_output(); Jupyter.notebook.execute_all_cells(); return true;");
            // Done when no code cell is queued or running ('*') and every code cell has a prompt number.
            Until(() => browser.Json("""
                var cells = Jupyter.notebook.get_cells().filter(function(c){ return c.cell_type === 'code' && c.get_text().trim() !== ''; });
                return cells.every(function(c){ return typeof c.input_prompt_number === 'number'; })
                    && Jupyter.notebook.kernel_busy === false;
                """).GetBoolean(), TimeSpan.FromMinutes(10), "every cell to run", log);
            output.WriteLine($"all cells ran in the notebook page in {clock.Elapsed.TotalSeconds:F0} s");
            var page = browser.Inspect(TimeSpan.FromSeconds(60), baseUrl);
            browser.SaveScreenshot(Path.Combine(folder, "01-tabular-tour.png"));
            var outputs = browser.Json("""
                return Array.prototype.map.call(document.querySelectorAll('.output_error, .output_stderr'),
                    function(e){ return (e.textContent || '').trim().split('\n')[0].slice(0, 200); });
                """).EnumerateArray().Select(e => "output: " + e.GetString()).ToList();
            output.WriteLine($"{page.Drawn} of {page.Charts} charts drew in the notebook page");
            var problems = page.Problems.Concat(outputs).ToList();
            Assert.True(problems.Count == 0, "the tutorial run from the notebook page:\n" + string.Join("\n", problems));
            Assert.True(page.Charts >= 5, $"expected the tutorial's charts in the page, found {page.Charts}");
        }
        finally
        {
            if (!server.HasExited) server.Kill(entireProcessTree: true);
            server.WaitForExit(10_000);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void WaitForServer(string url, Process server, System.Collections.Concurrent.ConcurrentQueue<string> log)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        Until(() =>
        {
            if (server.HasExited) throw new InvalidOperationException("jupyter-notebook exited: " + string.Join(" | ", log.TakeLast(5)));
            try { return http.GetAsync(url).GetAwaiter().GetResult().IsSuccessStatusCode; }
            catch (HttpRequestException) { return false; }
            catch (TaskCanceledException) { return false; }
        }, TimeSpan.FromMinutes(2), "jupyter-notebook to answer", log);
    }

    private static void Until(Func<bool> condition, TimeSpan timeout, string what, System.Collections.Concurrent.ConcurrentQueue<string> log)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"timed out after {timeout.TotalSeconds:F0} s waiting for {what}; server log: " + string.Join(" | ", log.TakeLast(5)));
            Thread.Sleep(500);
        }
    }
}
