using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Interactive.Xai.Numerics;

/// <summary>
/// A fast exact accumulator for long runs of doubles, emptied into an <see cref="ExactSum"/> with
/// <see cref="MoveTo"/>. Each term's 53-bit significand is added, as two integers (its high 27 and low 26 bits), into
/// 64-bit integer buckets chosen by its binary exponent: an integer addition per term, no rounding, no data-dependent
/// loop. <see cref="MoveTo"/> turns every non-empty bucket into at most four doubles that are exact (an integer of at most
/// 32 bits times a power of two) and adds them to the target exactly, so the target's total is the exact total of the
/// terms, and its <see cref="ExactSum.Value"/> is the correctly rounded sum, bit for bit what adding the terms to the
/// <see cref="ExactSum"/> one by one gives, in any order or grouping. Terms of magnitude 2^512 and above, infinities and
/// NaN go to the target's own exact path (where no bucket total could leave the double range). A bucket takes 2^35
/// terms before it is emptied on its own into the held-back exact sum. One instance is not thread-safe; use one per
/// thread (<see cref="ForThisThread"/>).
/// </summary>
internal sealed class ExactAccumulator
{
    private const int Buckets = 1023 + 512; // biased exponents 0 .. 1534 (below 2^512)
    private const int LowBits = 26;
    private const long LowMask = (1L << LowBits) - 1;

    private readonly long[] _high = new long[Buckets];
    private readonly long[] _low = new long[Buckets];
    private int _min = Buckets, _max = -1;
    private long _adds;
    private readonly long _addsBeforeFlush;
    private readonly ExactSum _held = new();
    private bool _holding;
    private bool _plusZero, _minusZero;

    [ThreadStatic]
    private static ExactAccumulator? _perThread;

    /// <summary>An empty accumulator; <paramref name="addsBeforeFlush"/> (at most 2^35, tests lower it) terms fill the buckets before they are emptied into the held-back exact sum.</summary>
    internal ExactAccumulator(long addsBeforeFlush = 1L << 35)
    {
        if (addsBeforeFlush < 1 || addsBeforeFlush > 1L << 35) throw new ArgumentOutOfRangeException(nameof(addsBeforeFlush));
        _addsBeforeFlush = addsBeforeFlush;
    }

    /// <summary>
    /// The calling thread's accumulator, empty (reused from call to call; one left holding terms by an exception is
    /// emptied first).
    /// </summary>
    public static ExactAccumulator ForThisThread()
    {
        var accumulator = _perThread ??= new ExactAccumulator();
        if (accumulator._max >= 0 || accumulator._holding || accumulator._plusZero || accumulator._minusZero) accumulator.Clear();
        return accumulator;
    }

    /// <summary>Drops every term (back to zero).</summary>
    public void Clear()
    {
        if (_max >= 0)
        {
            Array.Clear(_high, _min, _max - _min + 1);
            Array.Clear(_low, _min, _max - _min + 1);
        }
        _min = Buckets;
        _max = -1;
        _adds = 0;
        _held.Clear();
        _holding = false;
        _plusZero = _minusZero = false;
    }

    /// <summary>Adds one term, exactly.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(double value)
    {
        long bits = BitConverter.DoubleToInt64Bits(value);
        int exponent = (int)(bits >> 52) & 0x7FF;
        if (exponent >= Buckets)
        {
            AddWide(value);
            return;
        }
        long significand = bits & 0xF_FFFF_FFFF_FFFFL;
        if (exponent != 0) significand |= 1L << 52;
        else if (significand == 0)
        {
            // ±0 changes no total, only the sign of a zero total (see MoveTo).
            if (bits == 0) _plusZero = true;
            else _minusZero = true;
            return;
        }
        else exponent = 1; // subnormal: the same scale as the smallest normal exponent
        long sign = bits >> 63; // 0 or -1
        significand = (significand ^ sign) - sign;
        // 1 <= exponent < Buckets here: no bounds checks needed.
        Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_high), exponent) += significand >> LowBits;
        Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_low), exponent) += significand & LowMask;
        if (exponent < _min) _min = exponent;
        if (exponent > _max) _max = exponent;
        if (++_adds == _addsBeforeFlush) Hold();
    }

    /// <summary>Adds the float32 values of <paramref name="values"/>, exactly.</summary>
    public void Add(ReadOnlySpan<float> values)
    {
        foreach (var v in values) Add((double)v);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void AddWide(double value)
    {
        _held.Add(value);
        _holding = true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Hold()
    {
        Empty(_held);
        _holding = true;
    }

    /// <summary>
    /// Adds the exact total of the terms to <paramref name="target"/> and empties this accumulator. The sign of a zero
    /// total also comes out as adding the terms one by one gives it: -0 only when every term was -0 (and the target
    /// was empty or -0), as in IEEE addition.
    /// </summary>
    public void MoveTo(ExactSum target)
    {
        ArgumentNullException.ThrowIfNull(target);
        bool nonZero = _max >= 0 || _holding;
        Empty(target);
        if (_holding)
        {
            target.Add(_held);
            _held.Clear();
            _holding = false;
        }
        // Adding +0 to an exact sum changes nothing but a -0 total into +0; adding -0 changes nothing but an empty sum into -0.
        if (nonZero || _plusZero) target.Add(0.0);
        else if (_minusZero) target.Add(-0.0);
        _plusZero = _minusZero = false;
    }

    // Bucket e holds high * 2^(e - 1075 + 26) + low * 2^(e - 1075) (e = 1 also for subnormals).
    private void Empty(ExactSum target)
    {
        for (int e = _min; e <= _max; e++)
        {
            long high = _high[e], low = _low[e];
            if (high != 0) AddInteger(target, high, e - 1075 + LowBits);
            if (low != 0) AddInteger(target, low, e - 1075);
            _high[e] = 0;
            _low[e] = 0;
        }
        _min = Buckets;
        _max = -1;
        _adds = 0;
    }

    // integer * 2^scale, as two exact doubles (a signed high 32-bit part and an unsigned low 32-bit part).
    private static void AddInteger(ExactSum target, long integer, int scale)
    {
        long upper = integer >> 32, lower = integer & 0xFFFF_FFFFL;
        if (upper != 0) target.Add(upper * PowerOfTwo(scale + 32));
        if (lower != 0) target.Add(lower * PowerOfTwo(scale));
    }

    // 2^power as a double, exactly, for -1074 <= power <= 1023 (subnormal below -1022).
    private static double PowerOfTwo(int power)
        => power >= -1022
            ? BitConverter.Int64BitsToDouble((long)(power + 1023) << 52)
            : BitConverter.Int64BitsToDouble(1L << (power + 1074));
}
