using System.Collections.Immutable;
using System.Runtime.InteropServices;
using TorchSharp;

namespace Interactive.Xai.Torch;

/// <summary>
/// Checks that TorchSharp's native libraries load, before any TorchSharp use (every public entry point of this
/// package calls <see cref="EnsureAvailable"/>), and turns TorchSharp's misleading load failure ("... doesn't contain
/// a reference to libtorch-cpu-linux-x64 ...") into one clear <see cref="XaiException"/> naming the real cause.
/// </summary>
/// <remarks>
/// TorchSharp 0.107.0's libLibTorchSharp.so declares a strong need for <see cref="TorchNative.MissingLibStdCxxVersion"/>
/// (GCC 13's libstdc++), which GCC 12's libstdc++ (Debian 12, 3.4.30) lacks, so the dynamic loader refuses the file.
/// Interactive.Xai.Torch's build step (build/Interactive.Xai.Torch.targets) marks that need weak in the copy in the
/// application's output folder. When the library still does not load, the check reads the .gnu.version_r section of
/// every libLibTorchSharp.so TorchSharp may load and the GLIBCXX versions of the system libstdc++, and says which it is.
/// </remarks>
public static class TorchRuntime
{
    private static readonly Lock Gate = new();
    private static bool _available;
    private static string? _patchedCopy;
    private static ConvolutionCheck? _convolutionCheck;

    /// <summary>
    /// What the load-time convolution check found and did (the oneDNN ISA cap, the error of a small convolution input
    /// gradient against a float64 reference, whether oneDNN was turned off); null until <see cref="EnsureAvailable"/>
    /// has succeeded. See <see cref="Torch.ConvolutionCheck"/>.
    /// </summary>
    public static ConvolutionCheck? ConvolutionCheck => Volatile.Read(ref _convolutionCheck);

    /// <summary>What <see cref="NnpackSwitch.TurnOffWhereUnavailable"/> found when the libraries loaded; null before.</summary>
    internal static string? NnpackStatus { get; private set; }

    /// <summary>Where the system's libstdc++ is looked for (after the directories on LD_LIBRARY_PATH).</summary>
    public static IReadOnlyList<string> SystemLibStdCxxPaths { get; } =
    [
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
    ];

    /// <summary>
    /// Loads TorchSharp's native libraries once; throws an <see cref="XaiException"/> naming the cause when they do not
    /// load. Before the load, on CPUs with AVX-512, it caps libtorch's oneDNN at <see cref="Torch.ConvolutionCheck.SafeIsa"/>
    /// (unless ONEDNN_MAX_CPU_ISA or DNNL_MAX_CPU_ISA is set); after it, it checks a small convolution input gradient
    /// against a float64 reference and turns oneDNN off when that is wrong, saying so once on stderr
    /// (<see cref="ConvolutionCheck"/>). A pass is cached per machine (CPU, libtorch binary, ISA setting, thread count),
    /// so later processes skip the check unless libtorch was loaded before this library (see
    /// <see cref="Torch.ConvolutionCheck.FromCache"/>).
    /// </summary>
    /// <exception cref="XaiException">The native libraries do not load; the message names the file, the cause and the fix.</exception>
    public static void EnsureAvailable()
    {
        if (Volatile.Read(ref _available)) return;
        lock (Gate)
        {
            if (_available) return;
            OneDnnGuard.CapIsaBeforeFirstUse();
            PreloadExternalLibTorchIfNeeded();
            // When the load fails TorchSharp prints its probing trace (and the misleading message) to stdout; the
            // message below replaces it, so stdout is silenced for this one call (a command's output stays clean).
            var stdout = Console.Out;
            Console.SetOut(TextWriter.Null);
            try
            {
                torch.InitializeDeviceType(DeviceType.CPU);
            }
            catch (Exception e) when (e is not XaiException)
            {
                throw new XaiException(DescribeLoadFailure(e, NativeSearchDirectories()), e);
            }
            finally
            {
                Console.SetOut(stdout);
            }
            NnpackStatus = NnpackSwitch.TurnOffWhereUnavailable();  // before the first convolution (the check below runs one)
            Volatile.Write(ref _convolutionCheck, OneDnnGuard.RunCachedOrGuarded());  // never throws: a failing check is reported, not fatal; a pass is cached per machine
            Volatile.Write(ref _available, true);
        }
    }

    /// <summary>
    /// For hosts without Interactive.Xai.Torch's build step (notebooks, scripts): when the libLibTorchSharp.so that
    /// TorchSharp would load has a strong need this system's libstdc++ lacks, writes a copy with that need marked weak
    /// to a temporary folder, loads libtorch and then that copy, and routes TorchSharp's "LibTorchSharp" imports to it.
    /// Call it before any other TorchSharp use in the process (TorchSharp's failed first load cannot be retried).
    /// Returns the path of the patched copy, or null when nothing needed patching (not Linux, already loaded, or the
    /// library loads as it is).
    /// </summary>
    /// <exception cref="XaiException">libLibTorchSharp.so or libtorch cannot be found, or they do not load.</exception>
    public static string? LoadPatchedNativeLibrary()
    {
        if (!OperatingSystem.IsLinux()) return null;
        lock (Gate)
        {
            if (_available) return null;
            if (_patchedCopy is not null) return _patchedCopy;
            OneDnnGuard.CapIsaBeforeFirstUse();
            var directories = NativeSearchDirectories().Concat(NuGetNativeDirectories()).Distinct().ToArray();
            var original = directories.Select(d => Path.Combine(d, "libLibTorchSharp.so")).FirstOrDefault(File.Exists)
                ?? throw new XaiException("TorchSharp's libLibTorchSharp.so was not found (looked in: " + string.Join(", ", directories) + ")");
            if (Diagnose(original).MissingLibStdCxxVersions.IsEmpty) return null;
            var libtorch = directories.Select(d => Path.Combine(d, "libtorch.so")).FirstOrDefault(File.Exists)
                ?? throw new XaiException("TorchSharp's native libtorch is missing: add the package libtorch-cpu-linux-x64 (or TorchSharp-cpu) (looked in: " + string.Join(", ", directories) + ")");
            var copy = WritePatchedCopy(original);
            // libtorch first (its RUNPATH finds libc10 and libtorch_cpu next to it); the copy's own needs are then met
            // by the loaded libraries' sonames.
            LoadAndRoute(libtorch, copy, e => $"the patched copy {copy} of TorchSharp's native library did not load: {TorchModel.FirstLine(e.Message)}");
            _patchedCopy = copy;
            return copy;
        }
    }

    /// <summary>
    /// What the host tells its users to do when no libtorch is found (appended to the one-line error), for example the
    /// xai tool's "run `xai setup torch` once". Null: add the libtorch package to the application, or set
    /// <see cref="TorchNative.LibTorchVariable"/>.
    /// </summary>
    public static string? MissingLibTorchAdvice { get; set; }

    /// <summary>
    /// The file in which a host's setup step (the xai tool's `xai setup torch`) records where it restored libtorch
    /// (one line: the folder holding libtorch.so): ~/.local/share/interactive-xai/libtorch-2.10.0.path (the user's
    /// local application data folder; on Linux $XDG_DATA_HOME when set).
    /// </summary>
    public static string LibTorchSetupRecord
        => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify),
            "interactive-xai", $"libtorch-{TorchNative.LibTorchVersion}.path");

    /// <summary>
    /// Where libtorch will be loaded from: the application's own folders (a libtorch package it references), else the
    /// folder named by <see cref="TorchNative.LibTorchVariable"/>, else the folder <see cref="LibTorchSetupRecord"/> names,
    /// else the libtorch package of version <see cref="TorchNative.LibTorchVersion"/> in the NuGet packages folder; null when
    /// there is none (then <see cref="EnsureAvailable"/> throws the one-line "libtorch is missing" error).
    /// </summary>
    /// <exception cref="XaiException">The environment variable names a folder without libtorch.so.</exception>
    public static string? FindLibTorch()
    {
        var local = NativeSearchDirectories().FirstOrDefault(HasLibTorch);
        if (local is not null) return local;
        var variable = Environment.GetEnvironmentVariable(TorchNative.LibTorchVariable);
        if (!string.IsNullOrWhiteSpace(variable))
        {
            var folder = Path.GetFullPath(variable);
            if (File.Exists(folder) && Path.GetFileName(folder) == "libtorch.so") folder = Path.GetDirectoryName(folder)!;
            if (HasLibTorch(folder)) return folder;
            var lib = Path.Combine(folder, "lib");  // an unpacked libtorch archive: libtorch/lib/libtorch.so
            if (HasLibTorch(lib)) return lib;
            throw new XaiException($"{TorchNative.LibTorchVariable}={variable}: no libtorch.so there; it must name the folder " +
                $"holding libtorch {TorchNative.LibTorchVersion}'s libtorch.so, libtorch_cpu.so and libc10.so");
        }
        if (File.Exists(LibTorchSetupRecord))
        {
            var recorded = File.ReadAllText(LibTorchSetupRecord).Trim();
            if (recorded.Length > 0 && HasLibTorch(recorded)) return recorded;
        }
        // The package restored earlier into the NuGet packages folder (NUGET_PACKAGES or ~/.nuget/packages).
        var nuget = Path.Combine(NuGetPackagesFolder(), TorchNative.LibTorchPackageId, TorchNative.LibTorchVersion, "runtimes", "linux-x64", "native");
        return HasLibTorch(nuget) ? nuget : null;
    }

    private static string NuGetPackagesFolder()
    {
        var root = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        return string.IsNullOrEmpty(root)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages")
            : root;
    }

    /// <summary>The one-line error when no libtorch is found (<see cref="FindLibTorch"/> gave null).</summary>
    public static string MissingLibTorchMessage()
        => $"TorchSharp's native libtorch is missing (.pt models need libtorch {TorchNative.LibTorchVersion}): " +
           (MissingLibTorchAdvice ?? $"add the package {TorchNative.LibTorchPackageId} (or TorchSharp-cpu) to the application, " +
               $"or set {TorchNative.LibTorchVariable} to a folder holding libtorch {TorchNative.LibTorchVersion}'s libtorch.so");

    private static bool HasLibTorch(string directory) => File.Exists(Path.Combine(directory, "libtorch.so"));

    // The application carries no libtorch (the xai tool package leaves it out): load the one from XAI_LIBTORCH or the
    // setup folder, then TorchSharp's libLibTorchSharp.so (its needs are met by the loaded libraries' sonames), so that
    // TorchSharp's own load finds both already loaded. Called with the lock held, before TorchSharp's first use.
    private static void PreloadExternalLibTorchIfNeeded()
    {
        if (!OperatingSystem.IsLinux() || _patchedCopy is not null) return;
        var searchDirectories = NativeSearchDirectories();
        if (searchDirectories.Any(HasLibTorch)) return;
        var libtorch = FindLibTorch() ?? throw new XaiException(MissingLibTorchMessage());
        var bindings = searchDirectories.Select(d => Path.Combine(d, "libLibTorchSharp.so")).FirstOrDefault(File.Exists)
            ?? throw new XaiException("TorchSharp's libLibTorchSharp.so was not found (looked in: " + string.Join(", ", searchDirectories) + ")");
        // Not patched by the build step: load a patched copy instead (as LoadPatchedNativeLibrary does).
        string load = Diagnose(bindings).MissingLibStdCxxVersions.IsEmpty ? bindings : WritePatchedCopy(bindings);
        LoadAndRoute(Path.Combine(libtorch, "libtorch.so"), load,
            e => $"libtorch in {libtorch} did not load with TorchSharp's {load} (it must be libtorch {TorchNative.LibTorchVersion}): {TorchModel.FirstLine(e.Message)}");
    }

    // A copy of libLibTorchSharp.so with its need for the missing libstdc++ version marked weak, in a temporary folder
    // named by a hash of the original (written once; a partial write is never seen under the final name). Returns its path.
    private static string WritePatchedCopy(string original)
    {
        var bytes = File.ReadAllBytes(original);
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes))[..16].ToLowerInvariant();
        var copy = Path.Combine(Path.GetTempPath(), "interactive-xai-torchsharp-" + hash, "libLibTorchSharp.so");
        if (!File.Exists(copy))
        {
            ElfReader.WeakenVersionNeed(bytes, TorchNative.MissingLibStdCxxVersion);
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            var partial = copy + "." + Environment.ProcessId + ".tmp";
            File.WriteAllBytes(partial, bytes);
            File.Move(partial, copy, overwrite: true);
        }
        return copy;
    }

    // Loads libtorch (libtorch.so), then TorchSharp's bindings (libLibTorchSharp.so, whose needs the loaded libraries'
    // sonames then meet), and routes TorchSharp's [DllImport("LibTorchSharp")] calls to them. A load failure becomes an
    // XaiException with the message describeFailure gives.
    private static void LoadAndRoute(string libtorch, string bindings, Func<DllNotFoundException, string> describeFailure)
    {
        IntPtr handle;
        try
        {
            NativeLibrary.Load(libtorch);
            handle = NativeLibrary.Load(bindings);
        }
        catch (DllNotFoundException e)
        {
            throw new XaiException(describeFailure(e), e);
        }
        try
        {
            // Bare-name loads ("libLibTorchSharp.so") already find the loaded copy by its soname; the resolver makes
            // TorchSharp's [DllImport("LibTorchSharp")] calls use it whatever the probing order.
            NativeLibrary.SetDllImportResolver(typeof(torch).Assembly,
                (name, _, _) => name is "LibTorchSharp" or "libLibTorchSharp" or "libLibTorchSharp.so" ? handle : IntPtr.Zero);
        }
        catch (InvalidOperationException)
        {
            // Another resolver is registered for TorchSharp already; the soname match still applies.
        }
    }

    /// <summary>Runs <see cref="EnsureAvailable"/> and returns <paramref name="value"/> (for base-constructor arguments of modules).</summary>
    internal static T Checked<T>(T value)
    {
        EnsureAvailable();
        return value;
    }

    /// <summary>Reads the version needs of <paramref name="libraryPath"/> and the versions the system libstdc++ defines.</summary>
    /// <param name="libraryPath">An ELF shared library, for example a copy of libLibTorchSharp.so.</param>
    /// <param name="libStdCxxPath">The libstdc++ to compare with; null finds the system's (see <see cref="SystemLibStdCxxPaths"/>).</param>
    public static NativeLibraryDiagnosis Diagnose(string libraryPath, string? libStdCxxPath = null)
    {
        ArgumentNullException.ThrowIfNull(libraryPath);
        if (!File.Exists(libraryPath)) throw new XaiException($"{libraryPath}: file not found");
        libStdCxxPath ??= FindLibStdCxx();
        return new NativeLibraryDiagnosis
        {
            LibraryPath = libraryPath,
            VersionNeeds = ElfReader.ReadVersionNeeds(File.ReadAllBytes(libraryPath)),
            LibStdCxxPath = libStdCxxPath,
            LibStdCxxVersions = libStdCxxPath is null ? ImmutableArray<string>.Empty : ElfReader.ReadLibStdCxxVersions(File.ReadAllBytes(libStdCxxPath)),
        };
    }

    /// <summary>
    /// The one-line message for a TorchSharp load failure <paramref name="error"/>, after looking for
    /// libLibTorchSharp.so and libtorch.so in <paramref name="searchDirectories"/>: a libstdc++ version need this
    /// system lacks (naming the file, the version and the fix), a missing libtorch package (checked first), or TorchSharp's own message.
    /// </summary>
    public static string DescribeLoadFailure(Exception error, IEnumerable<string> searchDirectories)
    {
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(searchDirectories);
        var directories = searchDirectories.Distinct().ToArray();
        if (!directories.Any(d => File.Exists(Path.Combine(d, "libtorch.so")) || File.Exists(Path.Combine(d, "libtorch_cpu.so"))))
            return MissingLibTorchMessage() + " (looked in: " + string.Join(", ", directories) + ").";
        foreach (var directory in directories)
        {
            var candidate = Path.Combine(directory, "libLibTorchSharp.so");
            if (!File.Exists(candidate)) continue;
            var diagnosis = Diagnose(candidate);
            var missing = diagnosis.MissingLibStdCxxVersions;
            if (missing.IsEmpty) continue;
            return $"TorchSharp's native library {candidate} needs {string.Join(", ", missing.Select(m => m.Version))} from {missing[0].Library}, " +
                   $"but this system's {diagnosis.LibStdCxxPath} stops at {diagnosis.NewestLibStdCxxVersion ?? "no GLIBCXX version"}, so it cannot load " +
                   "(TorchSharp reports this as a missing libtorch package; it is not). Fix: build the application with Interactive.Xai.Torch's build step " +
                   "(import build/Interactive.Xai.Torch.targets, as the Interactive.Xai.Torch package does; it marks that need weak in the output copy of " +
                   $"libLibTorchSharp.so: the only symbol at {TorchNative.MissingLibStdCxxVersion} is never called); in a notebook or script, call " +
                   "Interactive.Xai.Torch.TorchRuntime.LoadPatchedNativeLibrary() before any other TorchSharp use; or run where libstdc++ from GCC 13 or newer is installed.";
        }
        return "TorchSharp's native libraries did not load: " + TorchModel.FirstLine(Innermost(error).Message);
    }

    /// <summary>The directories TorchSharp loads its native libraries from: the application's and the TorchSharp package's.</summary>
    public static IReadOnlyList<string> NativeSearchDirectories()
    {
        var roots = new List<string> { AppContext.BaseDirectory };
        var assemblyDirectory = Path.GetDirectoryName(typeof(torch).Assembly.Location);
        if (!string.IsNullOrEmpty(assemblyDirectory))
        {
            roots.Add(assemblyDirectory);
            roots.Add(Path.GetFullPath(Path.Combine(assemblyDirectory, "..", "..")));  // NuGet layout: lib/net8.0/TorchSharp.dll
        }
        string rid = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";
        var result = new List<string>();
        foreach (var root in roots)
        {
            result.Add(root);
            result.Add(Path.Combine(root, "runtimes", rid, "native"));
            result.Add(Path.Combine(root, "cpu"));
        }
        return result.Select(Path.GetFullPath).Distinct().ToArray();
    }

    private static IEnumerable<string> NuGetNativeDirectories()
    {
        var root = NuGetPackagesFolder();
        var version = typeof(torch).Assembly.GetName().Version;
        var torchSharp = Path.Combine(root, "torchsharp", $"{version?.Major}.{version?.Minor}.{version?.Build}", "runtimes", "linux-x64", "native");
        if (Directory.Exists(torchSharp)) yield return torchSharp;
        var libtorch = Path.Combine(root, "libtorch-cpu-linux-x64");
        if (!Directory.Exists(libtorch)) yield break;
        foreach (var dir in Directory.GetDirectories(libtorch).OrderByDescending(d => d, StringComparer.Ordinal))
        {
            var native = Path.Combine(dir, "runtimes", "linux-x64", "native");
            if (Directory.Exists(native)) yield return native;
        }
    }

    private static string? FindLibStdCxx()
    {
        var fromPath = (Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "libstdc++.so.6"));
        return fromPath.Concat(SystemLibStdCxxPaths).FirstOrDefault(File.Exists);
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }
}
