namespace Interactive.Xai.Numerics;

/// <summary>
/// An exact sum of doubles: the running total is kept as a list of non-overlapping partial sums (Shewchuk's
/// adaptive-precision addition, the algorithm behind Python's math.fsum), so no rounding happens while adding, and
/// <see cref="Value"/> is the exact total rounded once to the nearest double. The result therefore does not depend on
/// the order of the terms, nor on how they were split into groups whose sums are merged (<see cref="Add(ExactSum)"/>,
/// <see cref="FromPartials"/>): a sum over a whole table equals, bit for bit, the merge of sums over any partition of
/// its rows. Non-finite terms (infinities, NaN) are summed on their own, which is also order-free; a finite running
/// total beyond ±1.8e308 overflows to infinity.
/// </summary>
public sealed class ExactSum
{
    private double[] _partials = new double[4];
    private int _count;
    private double _special;

    /// <summary>Adds one term, exactly.</summary>
    public void Add(double value)
    {
        if (!double.IsFinite(value))
        {
            _special += value;
            return;
        }
        int kept = 0;
        double x = value;
        for (int i = 0; i < _count; i++)
        {
            double y = _partials[i];
            if (Math.Abs(x) < Math.Abs(y)) (x, y) = (y, x);
            double high = x + y;
            double low = y - (high - x);
            if (low != 0) _partials[kept++] = low;
            x = high;
        }
        if (!double.IsFinite(x))
        {
            // The finite total left the double range: it is an infinity from here on.
            _special += x;
            _count = kept;
            return;
        }
        if (kept == _partials.Length) Array.Resize(ref _partials, _partials.Length * 2);
        _partials[kept] = x;
        _count = kept + 1;
    }

    /// <summary>Adds every term of <paramref name="values"/>, exactly.</summary>
    public void Add(ReadOnlySpan<double> values)
    {
        foreach (var v in values) Add(v);
    }

    /// <summary>Adds another exact sum (its exact total), exactly.</summary>
    public void Add(ExactSum other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (int i = 0; i < other._count; i++) Add(other._partials[i]);
        if (other._special != 0 || double.IsNaN(other._special)) _special += other._special;
    }

    /// <summary>Empties the sum (back to zero).</summary>
    public void Clear()
    {
        _count = 0;
        _special = 0;
    }

    /// <summary>
    /// The exact state as doubles (the partial sums, then the sum of the non-finite terms when there were any), for
    /// sending to another process; <see cref="FromPartials"/> restores it and adding them one by one gives the same
    /// exact total.
    /// </summary>
    public double[] Partials()
    {
        bool special = _special != 0 || double.IsNaN(_special);
        var result = new double[_count + (special ? 1 : 0)];
        Array.Copy(_partials, result, _count);
        if (special) result[^1] = _special;
        return result;
    }

    /// <summary>An exact sum holding the state <see cref="Partials"/> returned.</summary>
    public static ExactSum FromPartials(ReadOnlySpan<double> partials)
    {
        var sum = new ExactSum();
        sum.Add(partials);
        return sum;
    }

    /// <summary>The exact total rounded to the nearest double (ties to even).</summary>
    public double Value
    {
        get
        {
            if (_special != 0 || double.IsNaN(_special)) return _special;
            int n = _count;
            if (n == 0) return 0;
            double high = _partials[--n], low = 0;
            // Add the partials from the largest down until the result is no longer exact.
            while (n > 0)
            {
                double x = high, y = _partials[--n];
                high = x + y;
                double rounded = high - x;
                low = y - rounded;
                if (low != 0) break;
            }
            // Round half to even correctly: when the rest is exactly half an ulp, the next partial decides the side.
            if (n > 0 && ((low < 0 && _partials[n - 1] < 0) || (low > 0 && _partials[n - 1] > 0)))
            {
                double y = low * 2, x = high + y;
                if (y == x - high) high = x;
            }
            return high;
        }
    }
}
