using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Interactive.Xai.Torch;

namespace Interactive.Xai.Cli;

/// <summary>
/// `xai setup torch`: the one step that enables TorchScript (.pt) models in the installed tool. The tool package leaves
/// out libtorch (about 600 MB of natives); this restores the libtorch package TorchSharp needs with `dotnet restore`
/// through the user's own NuGet configuration (feeds and packages folder, ~/.nuget/packages by default), records where
/// it is in <see cref="TorchRuntime.LibTorchSetupRecord"/>, where the tool looks, then loads it once to check.
/// </summary>
internal static class SetupCommand
{
    /// <summary>The advice the tool gives when a .pt model is used and no libtorch is found.</summary>
    public static string Advice
        => $"run `xai setup torch` once (restores {TorchNative.LibTorchPackageId} {TorchNative.LibTorchVersion}, about 130 MB to " +
           $"download and 600 MB on disk, through your NuGet feed), or set {TorchNative.LibTorchVariable} to a folder holding " +
           $"libtorch {TorchNative.LibTorchVersion}'s libtorch.so";

    public static Command Create(TextWriter output, TextWriter error)
    {
        var source = new Option<string[]>("--source")
        {
            Description = "A NuGet feed (URL or folder) to restore from instead of the ones your NuGet configuration lists.",
            AllowMultipleArgumentsPerToken = false,
        };
        var torch = new Command("torch",
            $"Enable TorchScript (.pt) models: restore {TorchNative.LibTorchPackageId} {TorchNative.LibTorchVersion} " +
            "with `dotnet restore` (your NuGet configuration) into a folder the tool looks in, then check that it loads.")
        { source };
        torch.SetAction(parse => RunTorch(parse.GetValue(source) ?? [], output, error));
        var setup = new Command("setup", "Install optional parts of the tool (`xai setup torch`: libtorch for .pt models).") { torch };
        return setup;
    }

    public static int RunTorch(IReadOnlyList<string> sources, TextWriter output, TextWriter error)
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            throw new XaiException("xai setup torch supports Linux x64 only; elsewhere run xai from source with the TorchSharp-cpu package");
        var existing = TorchRuntime.FindLibTorch();
        if (existing is null)
        {
            var native = Restore(sources, error);
            var record = TorchRuntime.LibTorchSetupRecord;
            Directory.CreateDirectory(Path.GetDirectoryName(record)!);
            AtomicFile.WriteAll([(record, native + "\n")]);
            existing = TorchRuntime.FindLibTorch()
                ?? throw new XaiException($"dotnet restore finished but {native} has no libtorch.so");
        }
        else
        {
            output.WriteLine($"libtorch is already there: {existing}");
        }
        TorchRuntime.EnsureAvailable();
        output.WriteLine($"libtorch {TorchNative.LibTorchVersion} loads from {existing}: TorchScript (.pt) models work");
        return 0;
    }

    // Restores the libtorch package with dotnet (the user's NuGet configuration decides feeds and packages folder) and
    // returns the folder holding its natives.
    private static string Restore(IReadOnlyList<string> sources, TextWriter error)
    {
        // A throw-away project: PackageDownload fetches the package without building anything.
        var project = Path.Combine(Path.GetTempPath(), $"xai-setup-torch-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(project);
        try
        {
            var projectFile = Path.Combine(project, "xai-libtorch.csproj");
            File.WriteAllText(projectFile, $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <TargetFramework>net{Environment.Version.Major}.{Environment.Version.Minor}</TargetFramework>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageDownload Include="{TorchNative.LibTorchPackageId}" Version="[{TorchNative.LibTorchVersion}]" />
                  </ItemGroup>
                </Project>
                """);
            error.WriteLine($"restoring {TorchNative.LibTorchPackageId} {TorchNative.LibTorchVersion} with dotnet restore " +
                "(about 130 MB to download, 600 MB on disk, unless your NuGet packages folder has it already) ...");
            var start = new ProcessStartInfo(DotnetExecutable())
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = project,
            };
            foreach (var argument in new[] { "restore", projectFile, "--nologo" })
                start.ArgumentList.Add(argument);
            foreach (var source in sources)
            {
                start.ArgumentList.Add("--source");
                start.ArgumentList.Add(source);
            }
            start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            start.Environment["DOTNET_NOLOGO"] = "1";
            Process process;
            try
            {
                process = Process.Start(start) ?? throw new XaiException("could not start dotnet");
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new XaiException($"could not run {start.FileName} ({e.Message}); xai setup torch needs the .NET SDK's dotnet command");
            }
            using (process)
            {
                var stdout = process.StandardOutput.ReadToEndAsync();
                var stderr = process.StandardError.ReadToEndAsync();
                process.WaitForExit();
                if (process.ExitCode != 0)
                {
                    var lines = (stdout.Result + "\n" + stderr.Result).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    var reason = lines.FirstOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)) ?? lines.LastOrDefault() ?? "no output";
                    throw new XaiException($"dotnet restore of {TorchNative.LibTorchPackageId} {TorchNative.LibTorchVersion} failed (exit {process.ExitCode}): {reason}");
                }
            }
            // The packages folder NuGet used (its configuration may move it): the first of the assets file's packageFolders.
            var assets = Path.Combine(project, "obj", "project.assets.json");
            using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(assets));
            var folders = document.RootElement.GetProperty("packageFolders").EnumerateObject().Select(p => p.Name).ToList();
            foreach (var folder in folders)
            {
                var native = Path.GetFullPath(Path.Combine(folder, TorchNative.LibTorchPackageId.ToLowerInvariant(), TorchNative.LibTorchVersion,
                    "runtimes", "linux-x64", "native"));
                if (File.Exists(Path.Combine(native, "libtorch.so"))) return native;
            }
            throw new XaiException($"dotnet restore finished but no libtorch.so was found in the packages folders it used ({string.Join(", ", folders)})");
        }
        finally
        {
            try { Directory.Delete(project, recursive: true); } catch (IOException) { }
        }
    }

    // The dotnet command that runs this tool (DOTNET_HOST_PATH, then the installation holding this runtime), else PATH.
    private static string DotnetExecutable()
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host)) return host;
        var runtime = RuntimeEnvironment.GetRuntimeDirectory();  // <root>/shared/Microsoft.NETCore.App/<version>/
        var candidate = Path.GetFullPath(Path.Combine(runtime, "..", "..", "..", "dotnet"));
        if (File.Exists(candidate)) return candidate;
        var root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (!string.IsNullOrEmpty(root) && File.Exists(Path.Combine(root, "dotnet"))) return Path.Combine(root, "dotnet");
        return "dotnet";
    }
}
