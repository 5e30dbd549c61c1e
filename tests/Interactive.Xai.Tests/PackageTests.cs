using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;
using Interactive.Xai.Notebook;

namespace Interactive.Xai.Tests;

/// <summary>The NuGet package users load: packed from the already built project into a temporary folder.</summary>
public sealed class PackageTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "xai-pack-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Interactive.Xai.sln"))) return dir.FullName;
        throw new InvalidOperationException("repository root not found");
    }

    private string Pack()
    {
        // the configuration the tests were built with (bin/<Configuration>/net10.0), so pack reuses that build
        string configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var start = new ProcessStartInfo("dotnet", ["pack", Path.Combine(RepositoryRoot(), "src", "Interactive.Xai", "Interactive.Xai.csproj"),
            "-c", configuration, "--no-build", "-o", _folder, "-nologo"])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, output);
        return Assert.Single(Directory.GetFiles(_folder, "Interactive.Xai.*.nupkg"));
    }

    [Fact]
    public async Task The_package_holds_the_extension_script_and_the_bundled_assemblies_and_loads_in_the_kernel_from_its_own_layout()
    {
        string package = Pack();
        string unpacked = Path.Combine(_folder, "unpacked");
        ZipFile.ExtractToDirectory(package, unpacked);
        var entries = Directory.GetFiles(unpacked, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(unpacked, f).Replace('\\', '/')).ToList();

        Assert.Contains("interactive-extensions/dotnet/extension.dib", entries);
        Assert.Contains("buildTransitive/Interactive.Xai.targets", entries);
        Assert.Equal(File.ReadAllText(Path.Combine(RepositoryRoot(), "src", "Interactive.Xai", "interactive-extensions", "dotnet", "extension.dib")),
            File.ReadAllText(Path.Combine(unpacked, "interactive-extensions", "dotnet", "extension.dib")));
        foreach (var assembly in new[] { "Interactive.Xai", "Interactive.Xai.Core", "Interactive.Xai.Charts", "Interactive.Xai.Onnx", "Interactive.Xai.MLNet", "Interactive.Xai.Hosting", "Interactive.Xai.Torch", "Interactive.Xai.Cluster" })
            Assert.Contains($"lib/net10.0/{assembly}.dll", entries);

        var nuspec = XDocument.Load(Path.Combine(unpacked, "Interactive.Xai.nuspec"));
        var dependencies = nuspec.Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => (string)e.Attribute("id")!).ToHashSet();
        foreach (var id in new[] { "Microsoft.DotNet.Interactive.Formatting", "Microsoft.Data.Analysis", "Plotly.NET", "Microsoft.ML", "Microsoft.ML.OnnxRuntime",
                     "Microsoft.ML.FastTree", "Microsoft.ML.OnnxTransformer", "System.Numerics.Tensors", "TorchSharp", "libtorch-cpu-linux-x64" })
            Assert.Contains(id, dependencies);
        // #!xai-explain --cluster's Orleans packages are not dependencies: as such they slowed cells of every notebook
        // (see Interactive.Xai.csproj); a notebook that uses a cluster adds them with #r (NotebookCluster.OrleansReferences)
        Assert.DoesNotContain(dependencies, d => d.Contains("Orleans", StringComparison.Ordinal) || d.StartsWith("StackExchange", StringComparison.Ordinal));
        Assert.DoesNotContain("Microsoft.DotNet.Interactive", dependencies);
        Assert.DoesNotContain("Microsoft.DotNet.Interactive.CSharp", dependencies);
        Assert.DoesNotContain(dependencies, d => d.StartsWith("Interactive.Xai", StringComparison.Ordinal));

        // the kernel runs the package's own extension.dib against the package's own lib folder
        NotebookHtml.ResetSession();
        using var session = await KernelSession.StartAsync(loadExtension: false);
        var libraries = Directory.GetFiles(Path.Combine(unpacked, "lib", "net10.0"), "*.dll")
            .Concat(KernelSession.PackageAssemblies().Where(p => !Path.GetFileName(p).StartsWith("Interactive.Xai", StringComparison.Ordinal)));
        var loaded = await session.LoadExtensionAsync(Path.Combine(unpacked, "interactive-extensions", "dotnet", "extension.dib"), libraries);
        Assert.Empty(loaded.Failures);
        Assert.Contains(XaiNotebook.LoadedMessage(), loaded.Plain);
        Assert.Contains("TorchSharp models ready", XaiNotebook.LoadedMessage());
        var help = await session.SubmitAsync("#!xai-help");
        Assert.True(help.Succeeded, help.Describe());
    }
}
