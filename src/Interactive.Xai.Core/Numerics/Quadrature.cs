namespace Interactive.Xai
{
    /// <summary>How Integrated Gradients approximates the path integral from the baseline to the input.</summary>
    public enum IntegrationRule
    {
        /// <summary>Left Riemann sum: points 0, 1/n, ..., (n-1)/n, weights 1/n.</summary>
        RiemannLeft,

        /// <summary>Right Riemann sum: points 1/n, ..., 1, weights 1/n.</summary>
        RiemannRight,

        /// <summary>Midpoint rule: points (i + 1/2)/n, weights 1/n.</summary>
        RiemannMiddle,

        /// <summary>Trapezoid rule: points i/(n-1) including both ends, end weights halved (n at least 2).</summary>
        RiemannTrapezoid,

        /// <summary>Gauss-Legendre quadrature with n nodes: exact for integrands that are polynomials of degree up to 2n - 1.</summary>
        GaussLegendre,
    }
}

namespace Interactive.Xai.Numerics
{
    /// <summary>Quadrature points and weights on [0, 1] for the integration rules.</summary>
    internal static class Quadrature
    {
        /// <summary>Points alpha in [0, 1] and weights summing to 1 for <paramref name="steps"/> evaluations.</summary>
        public static (double[] Points, double[] Weights) OnUnitInterval(IntegrationRule rule, int steps)
        {
            if (steps < 1) throw new XaiException($"steps must be at least 1, got {steps}");
            var points = new double[steps];
            var weights = new double[steps];
            switch (rule)
            {
                case IntegrationRule.RiemannLeft:
                case IntegrationRule.RiemannRight:
                case IntegrationRule.RiemannMiddle:
                    double shift = rule switch { IntegrationRule.RiemannLeft => 0, IntegrationRule.RiemannRight => 1, _ => 0.5 };
                    for (int i = 0; i < steps; i++)
                    {
                        points[i] = (i + shift) / steps;
                        weights[i] = 1.0 / steps;
                    }
                    break;
                case IntegrationRule.RiemannTrapezoid:
                    if (steps < 2) throw new XaiException($"the trapezoid rule needs at least 2 steps, got {steps}");
                    for (int i = 0; i < steps; i++)
                    {
                        points[i] = (double)i / (steps - 1);
                        weights[i] = (i == 0 || i == steps - 1 ? 0.5 : 1.0) / (steps - 1);
                    }
                    break;
                case IntegrationRule.GaussLegendre:
                    var (nodes, w) = GaussLegendre(steps);
                    for (int i = 0; i < steps; i++)
                    {
                        points[i] = (nodes[i] + 1) / 2;
                        weights[i] = w[i] / 2;
                    }
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(rule));
            }
            return (points, weights);
        }

        /// <summary>
        /// Gauss-Legendre nodes on [-1, 1] in increasing order and their weights: the roots of the Legendre polynomial
        /// P_n found by Newton iteration from Chebyshev-like guesses cos(pi (i - 1/4) / (n + 1/2)), with P_n and P_n'
        /// from the three-term recurrence; w_i = 2 / ((1 - x_i^2) P_n'(x_i)^2).
        /// </summary>
        public static (double[] Nodes, double[] Weights) GaussLegendre(int n)
        {
            if (n < 1) throw new XaiException($"Gauss-Legendre needs at least 1 node, got {n}");
            var nodes = new double[n];
            var weights = new double[n];
            for (int i = 0; i < (n + 1) / 2; i++)
            {
                double x = Math.Cos(Math.PI * (i + 0.75) / (n + 0.5));
                double derivative = 0;
                for (int iteration = 0; iteration < 100; iteration++)
                {
                    (double p, derivative) = Legendre(n, x);
                    double dx = p / derivative;
                    x -= dx;
                    if (Math.Abs(dx) < 1e-15) break;
                }
                (_, derivative) = Legendre(n, x);
                double weight = 2 / ((1 - x * x) * derivative * derivative);
                // Roots come in +/- pairs; the guesses run from the largest root down.
                nodes[n - 1 - i] = x;
                nodes[i] = -x;
                weights[n - 1 - i] = weight;
                weights[i] = weight;
            }
            if (n % 2 == 1) nodes[n / 2] = 0;
            return (nodes, weights);
        }

        /// <summary>P_n(x) and P_n'(x).</summary>
        private static (double Value, double Derivative) Legendre(int n, double x)
        {
            double previous = 1, current = x;
            if (n == 0) return (1, 0);
            for (int k = 2; k <= n; k++)
            {
                double next = ((2 * k - 1) * x * current - (k - 1) * previous) / k;
                previous = current;
                current = next;
            }
            return (current, n * (x * current - previous) / (x * x - 1));
        }
    }
}
