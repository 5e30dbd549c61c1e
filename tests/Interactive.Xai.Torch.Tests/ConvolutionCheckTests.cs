namespace Interactive.Xai.Torch.Tests;

/// <summary>The oneDNN ISA cap and the load-time convolution check (<see cref="TorchRuntime.ConvolutionCheck"/>).</summary>
public class ConvolutionCheckTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void TheCapIsTheFastestLevelBelowAvx512OnlyOnAvx512CpusAndNeverOverridesTheUsersChoice()
    {
        Assert.Equal("AVX2_VNNI_2", OneDnnGuard.IsaCapFor(hasAvx512: true, null, null));
        Assert.Equal("AVX2_VNNI_2", OneDnnGuard.IsaCapFor(hasAvx512: true, "", ""));
        Assert.Null(OneDnnGuard.IsaCapFor(hasAvx512: false, null, null));
        Assert.Null(OneDnnGuard.IsaCapFor(hasAvx512: true, "AVX512_CORE", null));
        Assert.Null(OneDnnGuard.IsaCapFor(hasAvx512: true, null, "AVX2"));
    }

    /// <summary>avx512f in /proc/cpuinfo's flags: the CPU's AVX-512 read independently of the check's own CPUID test.</summary>
    private static bool? CpuInfoHasAvx512()
    {
        if (!File.Exists("/proc/cpuinfo")) return null;
        var flags = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
        return flags?.Split(':', 2)[1].Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains("avx512f");
    }

    [Fact]
    public void AfterLoadingTheCheckHasRunAndTheConvolutionInputGradientIsRight()
    {
        TorchRuntime.EnsureAvailable();
        var check = TorchRuntime.ConvolutionCheck;
        Assert.NotNull(check);
        output.WriteLine(check.ToString());
        Assert.Null(check.CheckFailure);
        // The user's choice as the process started (.NET's copy of the environment; the library changes only libc's).
        bool userChose = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA")) ||
                         !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DNNL_MAX_CPU_ISA"));
        var avx512 = CpuInfoHasAvx512();
        if (avx512 is not null) Assert.Equal(avx512, OneDnnGuard.HasAvx512());
        if (OperatingSystem.IsLinux() && !userChose)
        {
            Assert.Null(check.UserIsa);
            if (avx512 == true)
            {
                // Strict: the cap was applied before oneDNN's first use and the capped oneDNN itself gave the right
                // gradient; turning oneDNN off would mean the cap did nothing.
                Assert.Equal(ConvolutionCheck.SafeIsa, check.IsaCap);
                Assert.True(check.RelativeError <= ConvolutionCheck.Tolerance, $"with the {check.IsaCap} cap: {check.RelativeError}");
                Assert.False(check.OneDnnDisabled);
                Assert.Null(check.Notice);
                Assert.True(LibTorchSwitch.OneDnn.IsEnabled());
            }
            else
            {
                // No AVX-512: no cap is set and oneDNN's default kernels are right.
                Assert.Null(check.IsaCap);
                Assert.True(check.RelativeError <= ConvolutionCheck.Tolerance, $"without a cap: {check.RelativeError}");
                Assert.False(check.OneDnnDisabled);
                Assert.Null(check.Notice);
            }
        }
        else if (check.RelativeError <= ConvolutionCheck.Tolerance)
        {
            Assert.False(check.OneDnnDisabled);
            Assert.Null(check.Notice);
        }
        else
        {
            // The user's level was faulty (e.g. ONEDNN_MAX_CPU_ISA=AVX512_CORE here): oneDNN is off and that fixed it.
            Assert.Null(check.IsaCap);
            Assert.True(check.OneDnnDisabled);
            Assert.False(LibTorchSwitch.OneDnn.IsEnabled());
            Assert.True(check.RelativeErrorAfterFallback <= ConvolutionCheck.Tolerance, $"after the fallback: {check.RelativeErrorAfterFallback}");
            Assert.StartsWith("Interactive.Xai.Torch: libtorch's oneDNN convolution gave wrong input gradients on this CPU", check.Notice);
            Assert.DoesNotContain("\n", check.Notice);
        }
        // Measured again now, at 1 thread and the process's thread count.
        Assert.True(OneDnnGuard.MeasureRelativeError() <= ConvolutionCheck.Tolerance);
    }

    [Fact]
    public void ACheckThatThrowsIsRecordedAsFailedWithItsReasonAndNeverThrows()
    {
        var check = OneDnnGuard.RunGuarded(() => throw new EntryPointNotFoundException("Unable to find an entry point named 'THSNN_conv2d'\nsecond line"));
        Assert.Equal("EntryPointNotFoundException: Unable to find an entry point named 'THSNN_conv2d'", check.CheckFailure);
        Assert.True(double.IsNaN(check.RelativeError));
        Assert.False(check.OneDnnDisabled);
        Assert.Null(check.RelativeErrorAfterFallback);
        Assert.Equal("Interactive.Xai.Torch: the load-time check of libtorch's convolution input gradients could not run " +
                     "(EntryPointNotFoundException: Unable to find an entry point named 'THSNN_conv2d'); oneDNN was left as it was, " +
                     "so gradients of convolutional networks on this CPU are unchecked.", check.Notice);
        Assert.DoesNotContain("\n", check.Notice);

        var fine = new ConvolutionCheck { RelativeError = 1e-7 };
        Assert.Same(fine, OneDnnGuard.RunGuarded(() => fine));
    }

    [Fact]
    public void TheChecksOwnReferenceMatchesFiniteDifferencesAndAWrongOrNaNGradientFailsIt()
    {
        var (x, w, g) = OneDnnGuard.CheckData();
        var reference = OneDnnGuard.ReferenceInputGradient(x, w, g);
        var conv = new Float64Reference.Conv(1, 8, 3, 1, w.Select(v => (double)v).ToArray(), new double[8]);
        var gd = g.Select(v => (double)v).ToArray();
        var xd = x.Select(v => (double)v).ToArray();
        const double h = 1e-6;
        foreach (int i in new[] { 0, 7, 63, 64 * 31 + 27, x.Length - 1 })
        {
            int row = i / 64;
            var copy = xd.AsSpan(row * 64, 64).ToArray();
            var rowG = gd.AsSpan(row * 512, 512).ToArray();
            copy[i % 64] += h;
            double plus = Float64Reference.Dot(conv.Forward(copy, 1, 8, 8), rowG);
            copy[i % 64] -= 2 * h;
            double minus = Float64Reference.Dot(conv.Forward(copy, 1, 8, 8), rowG);
            Assert.Equal((plus - minus) / (2 * h), reference[i], 1e-6);
        }

        var right = reference.Select(v => (float)v).ToArray();
        Assert.True(OneDnnGuard.RelativeError(right, reference) < 1e-6);
        var wrong = (float[])right.Clone();
        wrong[100] += 0.01f * (float)reference.Max(Math.Abs);
        Assert.True(OneDnnGuard.RelativeError(wrong, reference) > ConvolutionCheck.Tolerance);
        wrong[100] = float.NaN;
        Assert.True(double.IsNaN(OneDnnGuard.RelativeError(wrong, reference)));
    }

    [Fact]
    public void TheNoticeIsOneLineNamingTheLevelTheErrorAndWhatWasDone()
    {
        var user = OneDnnGuard.Notice("AVX512_CORE", null, 0.794, disabled: true, after: 1.3e-7);
        Assert.Equal("Interactive.Xai.Torch: libtorch's oneDNN convolution gave wrong input gradients on this CPU at ONEDNN_MAX_CPU_ISA=AVX512_CORE " +
                     "(relative error 0.794); oneDNN is now off for this process (correct, slower convolution).", user);
        var late = OneDnnGuard.Notice(null, "AVX2_VNNI_2", 0.794, disabled: true, after: 1.3e-7);
        Assert.Contains("at its default ISA level (oneDNN ran before Interactive.Xai.Torch loaded, so the AVX2_VNNI_2 cap came too late)", late);
        var stuck = OneDnnGuard.Notice(null, null, 0.5, disabled: false, after: null);
        Assert.EndsWith("(relative error 0.5; oneDNN could not be turned off); gradients of convolutional networks are not reliable here.", stuck);
        var stillWrong = OneDnnGuard.Notice(null, null, 0.5, disabled: true, after: 0.2);
        Assert.Contains("(relative error 0.5, 0.2 without oneDNN)", stillWrong);
        Assert.All(new[] { user, late, stuck, stillWrong }, n => Assert.DoesNotContain("\n", n));
    }

    [Fact]
    public void OneDnnIsOnUnlessTheCheckTurnedItOff()
    {
        TorchRuntime.EnsureAvailable();
        if (!OperatingSystem.IsLinux()) return;
        Assert.Equal(!TorchRuntime.ConvolutionCheck!.OneDnnDisabled, LibTorchSwitch.OneDnn.IsEnabled());
    }
}

/// <summary>The per-machine cache of a passing convolution check (<see cref="ConvolutionCheck.FromCache"/>).</summary>
public class ConvolutionCheckCacheTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("xai-conv-cache-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void OnlyAPassingResultIsStoredAndItIsReadBackOnlyForTheSameKey()
    {
        Assert.Null(OneDnnGuard.ReadCache("key", _directory));
        OneDnnGuard.WriteCache("key", 0.5, _directory);  // a failure is never cached
        OneDnnGuard.WriteCache("key", double.NaN, _directory);
        Assert.Null(OneDnnGuard.ReadCache("key", _directory));
        OneDnnGuard.WriteCache("key", 1.25e-7, _directory);
        Assert.Equal(1.25e-7, OneDnnGuard.ReadCache("key", _directory));
        Assert.Null(OneDnnGuard.ReadCache("other key", _directory));
        // A damaged file, or one edited to claim a failing error passes, is not trusted.
        var file = Assert.Single(Directory.GetFiles(_directory));
        File.WriteAllText(file, "key\n0.5");
        Assert.Null(OneDnnGuard.ReadCache("key", _directory));
        File.WriteAllText(file, "key\n");
        Assert.Null(OneDnnGuard.ReadCache("key", _directory));
        File.WriteAllText(file, "another key\n1e-7");
        Assert.Null(OneDnnGuard.ReadCache("key", _directory));
    }

    [Fact]
    public void APassIsRunOnceAndThenServedFromTheCacheWhileAFailureRunsEveryTime()
    {
        TorchRuntime.EnsureAvailable();
        if (OneDnnGuard.CacheKey() is null) return;  // not Linux, or the user asked for the check every time
        int runs = 0;
        var pass = new ConvolutionCheck { RelativeError = 2e-7, IsaCap = TorchRuntime.ConvolutionCheck!.IsaCap, UserIsa = TorchRuntime.ConvolutionCheck.UserIsa };
        var first = OneDnnGuard.RunCachedOrGuarded(() => { runs++; return pass; }, _directory);
        Assert.Same(pass, first);
        var second = OneDnnGuard.RunCachedOrGuarded(() => { runs++; return pass; }, _directory);
        Assert.Equal(1, runs);
        Assert.True(second.FromCache);
        Assert.Equal(2e-7, second.RelativeError);
        Assert.Equal(pass.IsaCap, second.IsaCap);
        Assert.Equal(pass.UserIsa, second.UserIsa);
        Assert.Null(second.Notice);

        var failing = Directory.CreateTempSubdirectory("xai-conv-cache-fail-").FullName;
        try
        {
            var fail = new ConvolutionCheck { RelativeError = 0.8, OneDnnDisabled = true, RelativeErrorAfterFallback = 1e-7, Notice = "n" };
            var broken = new ConvolutionCheck { RelativeError = double.NaN, CheckFailure = "x" };
            for (int i = 0; i < 2; i++)
            {
                Assert.Same(fail, OneDnnGuard.RunCachedOrGuarded(() => fail, failing));
                Assert.Same(broken, OneDnnGuard.RunCachedOrGuarded(() => broken, failing));
            }
            Assert.Empty(Directory.GetFiles(failing));
        }
        finally
        {
            Directory.Delete(failing, recursive: true);
        }
    }

    [Fact]
    public void TheKeyNamesTheCpuTheLoadedLibtorchTheIsaSettingAndTheThreadCountAndChangesWithThem()
    {
        TorchRuntime.EnsureAvailable();
        var key = OneDnnGuard.CacheKey();
        if (key is null) return;
        Assert.Contains("model name", key);
        Assert.Contains("flags", key);
        Assert.Contains("/libtorch_cpu.so ", key);
        Assert.Contains("TorchSharp ", key);
        Assert.Contains("cap " + (TorchRuntime.ConvolutionCheck!.IsaCap ?? "-"), key);
        Assert.Contains("user ISA " + (TorchRuntime.ConvolutionCheck.UserIsa ?? "-"), key);
        int threads = TorchSharp.torch.get_num_threads();
        try
        {
            TorchSharp.torch.set_num_threads(threads == 1 ? 2 : 1);
            Assert.NotEqual(key, OneDnnGuard.CacheKey());
        }
        finally
        {
            TorchSharp.torch.set_num_threads(threads);
        }
        Assert.Equal(key, OneDnnGuard.CacheKey());
        var previous = Environment.GetEnvironmentVariable(ConvolutionCheck.CacheFileEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(ConvolutionCheck.CacheFileEnvironmentVariable, "always");
            Assert.Null(OneDnnGuard.CacheKey());
        }
        finally
        {
            Environment.SetEnvironmentVariable(ConvolutionCheck.CacheFileEnvironmentVariable, previous);
        }
    }

    [Fact]
    public void LibtorchIsSeenInTheProcessOnceLoaded()
    {
        TorchRuntime.EnsureAvailable();
        if (OperatingSystem.IsLinux()) Assert.True(OneDnnGuard.LibTorchIsLoaded());
    }
}
