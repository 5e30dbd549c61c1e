namespace Interactive.Xai.Torch.Tests;

public class TorchRuntimeTests
{
    private static string Pristine => Path.Combine(AppContext.BaseDirectory, "pristine", "libLibTorchSharp.so.orig");

    private static string PatchedOutputCopy => Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    [Fact]
    public void ThePackagesOwnLibTorchSharpNeedsGlibcxx3432Strongly()
    {
        var diagnosis = TorchRuntime.Diagnose(Pristine);
        var need = diagnosis.Need(TorchNative.MissingLibStdCxxVersion);
        Assert.NotNull(need);
        Assert.Equal("libstdc++.so.6", need.Library);
        Assert.False(need.IsWeak);
        Assert.Contains(diagnosis.VersionNeeds, n => n.Version == "GLIBCXX_3.4" && !n.IsWeak);
        // On this machine (Debian 12, GCC 12's libstdc++) the version is missing, so the need stops the load.
        Assert.NotNull(diagnosis.LibStdCxxPath);
        if (!diagnosis.LibStdCxxVersions.Contains(TorchNative.MissingLibStdCxxVersion))
            Assert.Equal([TorchNative.MissingLibStdCxxVersion], diagnosis.MissingLibStdCxxVersions.Select(n => n.Version));
    }

    [Fact]
    public void TheBuildPatchedOutputCopyNeedsItWeaklyAndNothingElseChanged()
    {
        var pristine = TorchRuntime.Diagnose(Pristine);
        var patched = TorchRuntime.Diagnose(PatchedOutputCopy);
        Assert.True(patched.Need(TorchNative.MissingLibStdCxxVersion)!.IsWeak);
        Assert.Empty(patched.MissingLibStdCxxVersions);
        Assert.Equal(pristine.VersionNeeds.Length, patched.VersionNeeds.Length);
        for (int i = 0; i < pristine.VersionNeeds.Length; i++)
        {
            var (before, after) = (pristine.VersionNeeds[i], patched.VersionNeeds[i]);
            Assert.Equal(before.Version, after.Version);
            Assert.Equal(before.IsWeak || before.Version == TorchNative.MissingLibStdCxxVersion, after.IsWeak);
        }
    }

    [Fact]
    public void TheSystemLibStdCxxVersionsAreReadInVersionOrder()
    {
        var diagnosis = TorchRuntime.Diagnose(PatchedOutputCopy);
        var versions = diagnosis.LibStdCxxVersions;
        Assert.Contains("GLIBCXX_3.4", versions);
        Assert.Contains("GLIBCXX_3.4.9", versions);
        Assert.Contains("GLIBCXX_3.4.30", versions);
        Assert.True(versions.IndexOf("GLIBCXX_3.4.9") < versions.IndexOf("GLIBCXX_3.4.10"));
        Assert.Equal(versions.Last(v => v.StartsWith("GLIBCXX_")), diagnosis.NewestLibStdCxxVersion);
        Assert.Contains("CXXABI_1.3.13", versions);
        Assert.All(versions, v => Assert.Matches(@"^(GLIBCXX|CXXABI)_\d+(\.\d+)*$", v));
    }

    [Fact]
    public void ALoadFailureCausedByTheVersionNeedNamesTheFileTheVersionAndTheFix()
    {
        using var folder = new TempFolder();
        var library = Path.Combine(folder.Path, "libLibTorchSharp.so");
        File.Copy(Pristine, library);
        File.WriteAllText(Path.Combine(folder.Path, "libtorch.so"), "");
        var misleading = new TypeInitializationException("TorchSharp.torch", new NotSupportedException("The libtorch-cpu-linux-x64 package ... doesn't contain a reference to libtorch-cpu-linux-x64"));
        var message = TorchRuntime.DescribeLoadFailure(misleading, [folder.Path]);
        if (TorchRuntime.Diagnose(library).MissingLibStdCxxVersions.IsEmpty) return; // a system with a newer libstdc++
        Assert.StartsWith($"TorchSharp's native library {library} needs GLIBCXX_3.4.32 from libstdc++.so.6, but this system's /", message);
        Assert.Contains("stops at GLIBCXX_3.4.30", message);
        Assert.Contains("Interactive.Xai.Torch.targets", message);
        Assert.Contains("GCC 13", message);
        Assert.DoesNotContain("\n", message);
    }

    [Fact]
    public void ALoadFailureWithoutLibtorchSaysThePackageIsMissingEvenWhenTheVersionNeedIsAlsoThere()
    {
        using var folder = new TempFolder();
        File.Copy(Pristine, Path.Combine(folder.Path, "libLibTorchSharp.so"));
        var message = TorchRuntime.DescribeLoadFailure(new DllNotFoundException("libtorch"), [folder.Path]);
        Assert.StartsWith("TorchSharp's native libtorch is missing", message);
        Assert.Contains("libtorch-cpu-linux-x64", message);
        Assert.Contains(folder.Path, message);

        File.Delete(Path.Combine(folder.Path, "libLibTorchSharp.so"));
        File.Copy(PatchedOutputCopy, Path.Combine(folder.Path, "libLibTorchSharp.so"));
        File.WriteAllText(Path.Combine(folder.Path, "libtorch.so"), "");
        var other = TorchRuntime.DescribeLoadFailure(new TypeInitializationException("TorchSharp.torch", new InvalidOperationException("something else\nsecond line")), [folder.Path]);
        Assert.Equal("TorchSharp's native libraries did not load: something else", other);
    }

    [Fact]
    public void AFileThatIsNotElfHasNoVersionNeeds()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "garbage.so");
        File.WriteAllBytes(path, [0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, .. Enumerable.Repeat((byte)0xff, 100)]);
        Assert.Empty(TorchRuntime.Diagnose(path).VersionNeeds);
        File.WriteAllText(path, "not a library");
        Assert.Empty(TorchRuntime.Diagnose(path).VersionNeeds);
        Assert.Contains("file not found", Assert.Throws<XaiException>(() => TorchRuntime.Diagnose(path + ".missing")).Message);
    }

    [Fact]
    public void EnsureAvailableSucceedsHereAndTheSearchDirectoriesIncludeTheOutputCopy()
    {
        TorchRuntime.EnsureAvailable();
        Assert.Contains(Path.GetDirectoryName(PatchedOutputCopy)!, TorchRuntime.NativeSearchDirectories());
    }

    [Fact]
    public void WeakeningThePackagesFileInMemoryGivesExactlyTheBuildPatchedCopy()
    {
        var bytes = File.ReadAllBytes(Pristine);
        var original = (byte[])bytes.Clone();
        Assert.Equal(1, ElfReader.WeakenVersionNeed(bytes, TorchNative.MissingLibStdCxxVersion));
        Assert.Equal(1, Enumerable.Range(0, bytes.Length).Count(i => bytes[i] != original[i]));
        Assert.Equal(File.ReadAllBytes(PatchedOutputCopy), bytes);
        Assert.Equal(0, ElfReader.WeakenVersionNeed(bytes, TorchNative.MissingLibStdCxxVersion)); // already weak
        Assert.True(ElfReader.ReadVersionNeeds(bytes).Single(n => n.Version == TorchNative.MissingLibStdCxxVersion).IsWeak);
    }

    [Fact]
    public void LoadPatchedNativeLibraryHasNothingToDoWhenTheOutputCopyIsPatched()
    {
        Assert.Null(TorchRuntime.LoadPatchedNativeLibrary());
        TorchRuntime.EnsureAvailable();
    }

    [Fact]
    public void Loading_leaves_libtorch_trying_nnpack_exactly_where_nnpack_starts()
    {
        TorchRuntime.EnsureAvailable();
        var status = TorchRuntime.NnpackStatus;
        Assert.NotNull(status);
        // libtorch's own flag, read back through its export: off only where NNPACK refused to start
        if (status == "available") Assert.True(LibTorchSwitch.Nnpack.IsEnabled());
        else if (status.StartsWith("turned off (nnp_initialize status ", StringComparison.Ordinal)) Assert.False(LibTorchSwitch.Nnpack.IsEnabled());
        else Assert.Equal("not found", status);
    }

    private sealed class TempFolder : IDisposable
    {
        public TempFolder() => Directory.CreateDirectory(Path);

        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "xai-runtime-" + Guid.NewGuid().ToString("N"));

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
