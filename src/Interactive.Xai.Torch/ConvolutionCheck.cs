using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace Interactive.Xai.Torch;

/// <summary>
/// What Interactive.Xai.Torch did about libtorch's convolution kernels when it loaded (see
/// <see cref="TorchRuntime.ConvolutionCheck"/>): the oneDNN instruction-set cap it set, the error of a small convolution
/// input gradient against a float64 reference computed in C#, and whether it had to route convolution around oneDNN.
/// </summary>
/// <remarks>
/// libtorch 2.10's oneDNN (3.7.1) AVX-512 convolution backward-data kernels (<c>jit:avx512_core</c>, used for every
/// AVX-512 level up to AVX512_CORE_AMX) give wrong, run-to-run varying input gradients on some AVX-512 CPUs (AMD EPYC
/// here) when the number of output channels is not a multiple of 16 (for example Conv2d(1, 8, 3) at batch 64: errors
/// of the size of the gradient itself). The AVX2 kernels are right. Before libtorch's first oneDNN use the library
/// therefore caps oneDNN at <see cref="SafeIsa"/> (the fastest level below AVX-512) on AVX-512 CPUs, unless the user
/// chose a level with ONEDNN_MAX_CPU_ISA or DNNL_MAX_CPU_ISA; then it checks a convolution input gradient and, when it
/// is still wrong (the user's level, or oneDNN was used before the cap could apply), turns oneDNN off for the process
/// (at::Context::setUserEnabledMkldnn(false): libtorch's own convolution, correct and somewhat slower) and says so once
/// on stderr.
/// </remarks>
public sealed record ConvolutionCheck
{
    /// <summary>The oneDNN ISA level this library set (ONEDNN_MAX_CPU_ISA in the native environment), or null when it set none. It has no effect when oneDNN already ran in the process (oneDNN reads it once); the check then catches that.</summary>
    public string? IsaCap { get; init; }

    /// <summary>The ONEDNN_MAX_CPU_ISA (or DNNL_MAX_CPU_ISA) value the user set before the library loaded, or null.</summary>
    public string? UserIsa { get; init; }

    /// <summary>Largest |libtorch − reference| / max |reference| of the check's input gradient, over 1 thread and the process's thread count.</summary>
    public double RelativeError { get; init; }

    /// <summary>True when the check failed and oneDNN was turned off for the process.</summary>
    public bool OneDnnDisabled { get; init; }

    /// <summary>The check's relative error after oneDNN was turned off (null when it was not).</summary>
    public double? RelativeErrorAfterFallback { get; init; }

    /// <summary>The one line written to stderr (null when the check passed and nothing was printed).</summary>
    public string? Notice { get; init; }

    /// <summary>
    /// Why the check itself could not run (the exception's type and first message line), or null when it ran. When set,
    /// <see cref="RelativeError"/> is NaN, oneDNN was left as it was (with the ISA cap, if any, in place) and
    /// <see cref="Notice"/> says that convolution gradients were not checked.
    /// </summary>
    public string? CheckFailure { get; init; }

    /// <summary>
    /// True when this process did not run the check but took its passing result from the per-machine cache file (see
    /// <see cref="CacheFileEnvironmentVariable"/>): the same check passed before on this CPU with the same libtorch
    /// binary, TorchSharp version, ISA setting and thread count, and libtorch was not loaded before this library capped
    /// oneDNN in this process. Only passing results are cached; a failing check runs (and turns oneDNN off) every time.
    /// </summary>
    public bool FromCache { get; init; }

    /// <summary>
    /// Set this environment variable to <c>always</c> to run the check in every process, ignoring and not writing the
    /// cache (kept under $XDG_CACHE_HOME/interactive-xai, else ~/.cache/interactive-xai).
    /// </summary>
    public const string CacheFileEnvironmentVariable = "INTERACTIVE_XAI_CONVOLUTION_CHECK";

    /// <summary>The oneDNN ISA level set on AVX-512 CPUs: the highest level without AVX-512 (AVX2 with VNNI and its 2023 extensions).</summary>
    public const string SafeIsa = "AVX2_VNNI_2";

    /// <summary>A libtorch input gradient farther than this (relative to the largest reference value) from the float64 reference fails the check (float32 rounding gives ~1e-7; the faulty kernels ~0.1 to 1).</summary>
    public const double Tolerance = 1e-4;
}

/// <summary>The native side of <see cref="ConvolutionCheck"/>: the ISA cap through libc's environment, the check and the oneDNN switch.</summary>
internal static class OneDnnGuard
{
    private static bool _capDecided, _libTorchLoadedBefore;
    private static string? _cap, _userIsa;

    // The check: Conv2d(1 -> 8, 3x3, padding 1) on 64 8x8 images (8 output channels: not a multiple of 16).
    internal const int Batch = 64, InChannels = 1, OutChannels = 8, Size = 8, Kernel = 3, Padding = 1;

    /// <summary>The ISA cap to set: <see cref="ConvolutionCheck.SafeIsa"/> on an AVX-512 CPU when the user chose no level.</summary>
    internal static string? IsaCapFor(bool hasAvx512, string? userOneDnn, string? userDnnl)
        => hasAvx512 && string.IsNullOrEmpty(userOneDnn) && string.IsNullOrEmpty(userDnnl) ? ConvolutionCheck.SafeIsa : null;

    /// <summary>
    /// Before libtorch's first oneDNN primitive: sets ONEDNN_MAX_CPU_ISA in the native environment (libc setenv:
    /// Environment.SetEnvironmentVariable changes only .NET's own copy on Unix, which native getenv() never reads).
    /// Idempotent; call with the runtime's lock held.
    /// </summary>
    internal static void CapIsaBeforeFirstUse()
    {
        if (_capDecided) return;
        _capDecided = true;
        _libTorchLoadedBefore = LibTorchIsLoaded();
        if (!OperatingSystem.IsLinux() || !LibC.Available) return;
        string? oneDnn = LibC.GetEnv("ONEDNN_MAX_CPU_ISA"), dnnl = LibC.GetEnv("DNNL_MAX_CPU_ISA");
        _userIsa = string.IsNullOrEmpty(oneDnn) ? (string.IsNullOrEmpty(dnnl) ? null : dnnl) : oneDnn;
        var cap = IsaCapFor(HasAvx512(), oneDnn, dnnl);
        if (cap is not null && LibC.SetEnv("ONEDNN_MAX_CPU_ISA", cap)) _cap = cap;
    }

    /// <summary>True when the CPU has AVX-512 Foundation (CPUID leaf 7, EBX bit 16), whatever .NET itself is allowed to use.</summary>
    internal static bool HasAvx512()
    {
        if (!X86Base.IsSupported) return false;
        if (X86Base.CpuId(0, 0).Eax < 7) return false;
        return (X86Base.CpuId(7, 0).Ebx & (1 << 16)) != 0;
    }

    /// <summary>
    /// <see cref="Run"/>, never throwing: when <paramref name="check"/> (the check itself) throws, returns a
    /// <see cref="ConvolutionCheck"/> with <see cref="ConvolutionCheck.CheckFailure"/> naming the reason and writes its
    /// one-line notice to stderr, so that loading the library still succeeds. Call with the runtime's lock held.
    /// </summary>
    internal static ConvolutionCheck RunGuarded(Func<ConvolutionCheck>? check = null)
    {
        try
        {
            return (check ?? Run)();
        }
        catch (Exception e)
        {
            string reason = e.GetType().Name + ": " + TorchModel.FirstLine(e.Message);
            string notice = FailureNotice(reason);
            try
            {
                Console.Error.WriteLine(notice);
            }
            catch (Exception)
            {
                // stderr is closed or broken: the notice stays on the returned check.
            }
            return new ConvolutionCheck { IsaCap = _cap, UserIsa = _userIsa, RelativeError = double.NaN, CheckFailure = reason, Notice = notice };
        }
    }

    /// <summary>Whether libtorch_cpu.so is mapped into this process (Linux; false elsewhere or when that cannot be read).</summary>
    internal static bool LibTorchIsLoaded()
    {
        try
        {
            return OperatingSystem.IsLinux() && File.Exists("/proc/self/maps") &&
                   File.ReadLines("/proc/self/maps").Any(l => l.Contains("/libtorch_cpu.so", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The folder of the cache file: $XDG_CACHE_HOME/interactive-xai, else ~/.cache/interactive-xai.</summary>
    internal static string? CacheDirectory { get; } = DefaultCacheDirectory();

    private static string? DefaultCacheDirectory()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)) return Path.Combine(xdg, "interactive-xai");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".cache", "interactive-xai");
    }

    // Bump when the check's data, shape or tolerance changes: older cache files then no longer match.
    private const string CheckVersion = "conv2d-1x8x3-b64-v1";

    /// <summary>
    /// What a cached result is valid for: the check's version, the CPU (model name and flags from /proc/cpuinfo), the
    /// loaded libtorch_cpu.so (path, size, modification time), TorchSharp's version, the user's ISA level, the cap and
    /// libtorch's thread count. Null (no caching) when libtorch was loaded before the cap, when
    /// <see cref="ConvolutionCheck.CacheFileEnvironmentVariable"/> is <c>always</c>, off Linux, or when any part cannot be read.
    /// </summary>
    internal static string? CacheKey()
    {
        try
        {
            if (_libTorchLoadedBefore || !OperatingSystem.IsLinux()) return null;
            if (string.Equals(Environment.GetEnvironmentVariable(ConvolutionCheck.CacheFileEnvironmentVariable), "always", StringComparison.OrdinalIgnoreCase)) return null;
            if (!File.Exists("/proc/cpuinfo") || !File.Exists("/proc/self/maps")) return null;
            var cpuInfo = File.ReadLines("/proc/cpuinfo").TakeWhile(l => l.Length > 0).ToArray();
            string? model = cpuInfo.FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            string? flags = cpuInfo.FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
            var library = File.ReadLines("/proc/self/maps").Select(l => l.IndexOf('/', StringComparison.Ordinal) is var i and >= 0 ? l[i..] : "")
                .FirstOrDefault(p => p.EndsWith("/libtorch_cpu.so", StringComparison.Ordinal));
            if (model is null || flags is null || library is null || !File.Exists(library)) return null;
            var file = new FileInfo(library);
            return string.Join("\n",
                CheckVersion, model, flags, $"{file.FullName} {file.Length} {file.LastWriteTimeUtc.Ticks}",
                "TorchSharp " + typeof(torch).Assembly.GetName().Version, "user ISA " + (_userIsa ?? "-"), "cap " + (_cap ?? "-"),
                "threads " + torch.get_num_threads().ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? CachePath(string key, string? directory)
    {
        directory ??= CacheDirectory;
        if (directory is null) return null;
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)))[..16].ToLowerInvariant();
        return Path.Combine(directory, $"convolution-check-{hash}.txt");
    }

    /// <summary>The cached passing relative error for <paramref name="key"/>, or null (no file, another key, unreadable, not a pass).</summary>
    internal static double? ReadCache(string key, string? directory = null)
    {
        try
        {
            var path = CachePath(key, directory);
            if (path is null || !File.Exists(path)) return null;
            var text = File.ReadAllText(path);
            int split = text.LastIndexOf('\n');
            if (split < 0 || text[..split] != key) return null;
            return double.TryParse(text[(split + 1)..], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var error)
                   && error >= 0 && error <= ConvolutionCheck.Tolerance ? error : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Records a passing check for <paramref name="key"/> (written whole, then renamed); failures to write are ignored.</summary>
    internal static void WriteCache(string key, double relativeError, string? directory = null)
    {
        if (!(relativeError >= 0 && relativeError <= ConvolutionCheck.Tolerance)) return;
        try
        {
            var path = CachePath(key, directory);
            if (path is null) return;
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var partial = path + "." + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".tmp";
            File.WriteAllText(partial, key + "\n" + relativeError.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
            File.Move(partial, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No cache: the next process runs the check again.
        }
    }

    /// <summary>
    /// The load-time check, from the per-machine cache when this exact configuration passed before (see
    /// <see cref="ConvolutionCheck.FromCache"/>), else <see cref="RunGuarded"/>, recording a pass. Never throws; call
    /// with the runtime's lock held.
    /// </summary>
    internal static ConvolutionCheck RunCachedOrGuarded(Func<ConvolutionCheck>? check = null, string? directory = null)
    {
        var key = CacheKey();
        if (key is not null && ReadCache(key, directory) is { } cached)
            return new ConvolutionCheck { IsaCap = _cap, UserIsa = _userIsa, RelativeError = cached, FromCache = true };
        var result = RunGuarded(check);
        if (key is not null && result is { CheckFailure: null, OneDnnDisabled: false, RelativeError: <= ConvolutionCheck.Tolerance })
            WriteCache(key, result.RelativeError, directory);
        return result;
    }

    /// <summary>The one stderr line when the check itself could not run.</summary>
    internal static string FailureNotice(string reason)
        => $"Interactive.Xai.Torch: the load-time check of libtorch's convolution input gradients could not run ({reason}); " +
           "oneDNN was left as it was, so gradients of convolutional networks on this CPU are unchecked.";

    /// <summary>Runs the check after libtorch loaded; turns oneDNN off when it fails. Call once, with the runtime's lock held.</summary>
    internal static ConvolutionCheck Run()
    {
        double error = MeasureRelativeError();
        var result = new ConvolutionCheck { IsaCap = _cap, UserIsa = _userIsa, RelativeError = error };
        if (!(error > ConvolutionCheck.Tolerance)) return result;  // a NaN error fails too
        bool disabled = LibTorchSwitch.OneDnn.TryDisable();
        double? after = disabled ? MeasureRelativeError() : null;
        string notice = Notice(_userIsa, _cap, error, disabled, after);
        Console.Error.WriteLine(notice);
        return result with { OneDnnDisabled = disabled, RelativeErrorAfterFallback = after, Notice = notice };
    }

    /// <summary>The one stderr line for a failed check.</summary>
    internal static string Notice(string? userIsa, string? cap, double error, bool disabled, double? after)
    {
        // With the library's own cap in place a failure means oneDNN ran before the library loaded (the cap came too late).
        string level = userIsa is not null ? $"ONEDNN_MAX_CPU_ISA={userIsa}"
            : cap is not null ? $"its default ISA level (oneDNN ran before Interactive.Xai.Torch loaded, so the {cap} cap came too late)"
            : "its default ISA level";
        return disabled && after <= ConvolutionCheck.Tolerance
            ? $"Interactive.Xai.Torch: libtorch's oneDNN convolution gave wrong input gradients on this CPU at {level} (relative error {error:G3}); oneDNN is now off for this process (correct, slower convolution)."
            : $"Interactive.Xai.Torch: libtorch's convolution gives wrong input gradients on this CPU at {level} (relative error {error:G3}{(after is null ? "; oneDNN could not be turned off" : $", {after:G3} without oneDNN")}); gradients of convolutional networks are not reliable here.";
    }

    /// <summary>The check's input gradient from libtorch at 1 thread and at the process's thread count, against <see cref="ReferenceInputGradient"/>.</summary>
    internal static double MeasureRelativeError()
    {
        var (x, w, g) = CheckData();
        var reference = ReferenceInputGradient(x, w, g);
        int threads = torch.get_num_threads();
        double error = 0;
        try
        {
            foreach (int t in threads > 1 ? new[] { 1, threads } : [1])
            {
                torch.set_num_threads(t);
                error = Math.Max(error, RelativeError(TorchInputGradient(x, w, g), reference));
            }
        }
        finally
        {
            torch.set_num_threads(threads);
        }
        return error;
    }

    /// <summary>max |actual − expected| / max |expected| (NaN when any value is NaN).</summary>
    internal static double RelativeError(float[] actual, double[] expected)
    {
        double worst = 0, scale = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs(actual[i] - expected[i]);
            if (double.IsNaN(d)) return double.NaN;
            worst = Math.Max(worst, d);
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }
        return worst / scale;
    }

    /// <summary>Inputs, weights and output gradients of the check: fixed values in [-1, 1) from a 64-bit LCG (no libtorch RNG is touched).</summary>
    internal static (float[] Inputs, float[] Weights, float[] OutputGradients) CheckData()
    {
        ulong state = 0x9E3779B97F4A7C15UL;
        float Next()
        {
            state = state * 6364136223846793005UL + 1442695040888963407UL;
            return (float)((state >> 40) / (double)(1UL << 24) * 2 - 1);
        }
        var x = new float[Batch * InChannels * Size * Size];
        var w = new float[OutChannels * InChannels * Kernel * Kernel];
        var g = new float[Batch * OutChannels * Size * Size];
        for (int i = 0; i < x.Length; i++) x[i] = Next();
        for (int i = 0; i < w.Length; i++) w[i] = Next();
        for (int i = 0; i < g.Length; i++) g[i] = Next();
        return (x, w, g);
    }

    /// <summary>d(Σ g·conv(x, w))/dx in float64 by direct loops: Σ over output channels and kernel offsets of g·w.</summary>
    internal static double[] ReferenceInputGradient(float[] x, float[] w, float[] g)
    {
        var result = new double[x.Length];
        for (int b = 0; b < Batch; b++)
        for (int o = 0; o < OutChannels; o++)
        for (int i = 0; i < Size; i++)
        for (int j = 0; j < Size; j++)
        {
            double gv = g[((b * OutChannels + o) * Size + i) * Size + j];
            for (int c = 0; c < InChannels; c++)
            for (int p = 0; p < Kernel; p++)
            for (int q = 0; q < Kernel; q++)
            {
                int r = i + p - Padding, s = j + q - Padding;
                if (r < 0 || r >= Size || s < 0 || s >= Size) continue;
                result[((b * InChannels + c) * Size + r) * Size + s] += gv * w[((o * InChannels + c) * Kernel + p) * Kernel + q];
            }
        }
        return result;
    }

    private static float[] TorchInputGradient(float[] x, float[] w, float[] g)
    {
        using var scope = torch.NewDisposeScope();
        using var grad = torch.enable_grad();
        var input = torch.tensor(x, [Batch, InChannels, Size, Size]).requires_grad_(true);
        var weight = torch.tensor(w, [OutChannels, InChannels, Kernel, Kernel]);
        var output = nn.functional.conv2d(input, weight, padding: [Padding, Padding]);
        (output * torch.tensor(g, [Batch, OutChannels, Size, Size])).sum().backward();
        return input.grad!.data<float>().ToArray();
    }
}

/// <summary>libc's getenv/setenv: the process environment native code reads.</summary>
internal static class LibC
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr GetEnvFunction(IntPtr name);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int SetEnvFunction(IntPtr name, IntPtr value, int overwrite);

    private static readonly Lazy<(GetEnvFunction Get, SetEnvFunction Set)?> Functions = new(() =>
    {
        foreach (var name in new[] { "libc.so.6", "libc" })
        {
            if (!NativeLibrary.TryLoad(name, out var handle)) continue;
            if (NativeLibrary.TryGetExport(handle, "getenv", out var get) && NativeLibrary.TryGetExport(handle, "setenv", out var set))
                return (Marshal.GetDelegateForFunctionPointer<GetEnvFunction>(get), Marshal.GetDelegateForFunctionPointer<SetEnvFunction>(set));
        }
        return null;
    });

    public static bool Available => Functions.Value is not null;

    public static string? GetEnv(string name)
    {
        var f = Functions.Value ?? throw new InvalidOperationException("libc was not found");
        var n = Marshal.StringToCoTaskMemUTF8(name);
        try
        {
            var value = f.Get(n);
            return value == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(value);
        }
        finally
        {
            Marshal.FreeCoTaskMem(n);
        }
    }

    public static bool SetEnv(string name, string value)
    {
        var f = Functions.Value ?? throw new InvalidOperationException("libc was not found");
        IntPtr n = Marshal.StringToCoTaskMemUTF8(name), v = Marshal.StringToCoTaskMemUTF8(value);
        try
        {
            return f.Set(n, v, 1) == 0;  // setenv copies both strings
        }
        finally
        {
            Marshal.FreeCoTaskMem(n);
            Marshal.FreeCoTaskMem(v);
        }
    }
}
