using System.Diagnostics;

namespace Interactive.Xai.TestSupport;

/// <summary>
/// Debian packages the browser and real-kernel tests need. When one is missing and the tests run as root (CI, a fresh
/// machine), it is installed with apt-get; otherwise the test fails with one line naming the install command.
/// Shared by Interactive.Xai.Kernel.Tests and Interactive.Xai.Browser.Tests (linked source).
/// </summary>
internal static class Prerequisites
{
    private static readonly object Gate = new();
    private static bool updated;

    /// <summary>Whether this process runs as root (.NET takes the user name from the effective user id on Unix).</summary>
    public static bool IsRoot => OperatingSystem.IsLinux() && Environment.UserName == "root";

    /// <summary>Debian's Chromium and chromedriver, for Selenium.</summary>
    public static void RequireChromium() =>
        Require("Chromium and chromedriver", () => File.Exists("/usr/bin/chromium") && File.Exists("/usr/bin/chromedriver"),
            "chromium", "chromium-driver");

    /// <summary>
    /// Makes sure <paramref name="present"/> holds, installing <paramref name="packages"/> with apt-get when running as
    /// root; throws one line naming the install command otherwise.
    /// </summary>
    public static void Require(string what, Func<bool> present, params string[] packages)
    {
        if (present()) return;
        string command = "apt-get install -y " + string.Join(' ', packages);
        lock (Gate)
        {
            if (present()) return;
            if (!IsRoot)
                throw new InvalidOperationException($"{what} not found: install with `{command}` (as root; .ci/run does this in CI).");
            string? failure = null;
            // Another test process may be installing at the same time: apt waits for dpkg's lock, and a failure (the
            // package lists' lock, say) is retried a few times.
            for (int attempt = 0; attempt < 5; attempt++)
            {
                failure = null;
                if (!updated)
                {
                    failure = Run("apt-get", "-o DPkg::Lock::Timeout=600 update -qq");
                    updated = failure is null;
                }
                failure ??= Run("apt-get", "-o DPkg::Lock::Timeout=600 install -y -qq " + string.Join(' ', packages));
                if (failure is null || present()) break;
                Thread.Sleep(TimeSpan.FromSeconds(10));
            }
            if (!present())
                throw new InvalidOperationException($"{what} not found and `{command}` did not install it{(failure is null ? "" : ": " + failure)}");
        }
    }

    /// <summary>Runs a program to completion; null on success, else its last error line.</summary>
    public static string? Run(string program, string arguments, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(program, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(15)))
        {
            process.Kill(entireProcessTree: true);
            return $"{program} {arguments} timed out";
        }
        process.WaitForExit();
        if (process.ExitCode == 0) return null;
        string text = (stderr.Result + "\n" + stdout.Result).Trim();
        return $"{program} exited with {process.ExitCode}: {text.Split('\n').LastOrDefault(l => l.Trim().Length > 0)?.Trim()}";
    }
}
