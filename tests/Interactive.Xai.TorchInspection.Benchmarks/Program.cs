// Prints the cost of each TorchSharp inspection against the raw model work it wraps, measured in the same run:
// activations (forward hooks + copies) and the summary vs a plain no-grad forward pass; gradient flow (hooks, aliases,
// autograd.grad, statistics) vs a plain forward + backward; attention vs a plain forward; feature visualisation vs the
// same number of plain forward + input-gradient steps. Best of --repeat runs after a warm-up.
// Run: dotnet run -c Release --project tests/Interactive.Xai.TorchInspection.Benchmarks [-- --batch 256 --repeat 10 --threads 1]
using System.Diagnostics;
using System.Globalization;
using Interactive.Xai.Torch.Inspection;
using TorchSharp.Modules;
using static TorchSharp.torch;

int batch = 256, repeat = 10, threads = 1;
for (int i = 0; i < args.Length - 1; i++)
{
    if (args[i] == "--batch") batch = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
    if (args[i] == "--repeat") repeat = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
    if (args[i] == "--threads") threads = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
}
// One libtorch thread by default: on a shared machine its spinning thread pool makes timings swing by 100x.
set_num_threads(threads);

manual_seed(1);
using var cnn = nn.Sequential(
    ("conv1", nn.Conv2d(1, 8, 3, padding: 1)), ("relu1", nn.ReLU()),
    ("conv2", nn.Conv2d(8, 16, 3, padding: 1)), ("relu2", nn.ReLU()),
    ("flatten", nn.Flatten()), ("fc1", nn.Linear(16 * 8 * 8, 64)), ("relu3", nn.ReLU()), ("fc2", nn.Linear(64, 10)));
using var x = randn(batch, 1, 8, 8);
using var y = randint(0, 10, [batch]);
Tensor Loss(Tensor o, Tensor t) => nn.functional.cross_entropy(o, t);

double Best(Action run)
{
    run();
    double best = double.MaxValue;
    for (int k = 0; k < repeat; k++)
    {
        var watch = Stopwatch.StartNew();
        run();
        best = Math.Min(best, watch.Elapsed.TotalSeconds);
    }
    return best;
}

double forward = Best(() => { using var _ = no_grad(); using var scope = NewDisposeScope(); cnn.call(x); });
double forwardBackward = Best(() =>
{
    using var scope = NewDisposeScope();
    var grads = autograd.grad([Loss(cnn.call(x), y)], [.. cnn.parameters()]);
});

Console.WriteLine($"Interactive.Xai TorchSharp inspection benchmark: CNN conv8-conv16-fc64-fc10 on 1x8x8 inputs ({cnn.parameters().Sum(p => p.numel()):N0} parameters), batch {batch}, {get_num_threads()} libtorch thread(s), best of {repeat}");
Console.WriteLine($"{"inspection",-40} {"seconds",10} {"raw s",10} {"raw work",-28} {"ratio",7}");
void Row(string name, double seconds, double raw, string rawName)
    => Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-40} {seconds,10:F5} {raw,10:F5} {rawName,-28} {seconds / raw,7:F2}"));

Row("summary (1-row trace + weight copies)", Best(() => TorchInspector.Summarize(cnn, [1, 1, 8, 8])), Best(() => { using var _ = no_grad(); using var s = NewDisposeScope(); using var one = zeros(1, 1, 8, 8); cnn.call(one); }), "forward, 1 row");
Row("activations (all 8 layers)", Best(() => TorchInspector.Activations(cnn, x)), forward, "forward");
Row("activations (fc2 only)", Best(() => TorchInspector.Activations(cnn, x, ["fc2"])), forward, "forward");
Row("weights snapshot", Best(() => TorchInspector.Weights(cnn)), forward, "forward");
Row("gradient flow (weights + outputs)", Best(() => TorchInspector.GradientFlow(cnn, x, y, Loss)), forwardBackward, "forward + backward");
Row("gradient flow (weights only)", Best(() => TorchInspector.GradientFlow(cnn, x, y, Loss, new GradientFlowOptions { IncludeActivations = false })), forwardBackward, "forward + backward");

manual_seed(2);
using var attentionModel = new Interactive.Xai.Torch.Tests.AttentionModel(50, 32, 4);
using var tokens = randint(0, 50, [24, batch / 8]);
double attentionRaw = Best(() => { using var _ = no_grad(); using var s = NewDisposeScope(); attentionModel.call(tokens); });
Row("attention (per-head weights)", Best(() => TorchInspector.Attention(attentionModel, "attention", tokens, 4)), attentionRaw, "forward");

const int steps = 100;
var options = new FeatureVisualizationOptions { InputShape = [1, 8, 8], Steps = steps };
double rawSteps = Best(() =>
{
    using var scope = NewDisposeScope();
    var input = randn(1, 1, 8, 8);
    for (int s = 0; s < steps; s++)
    {
        var leaf = input.detach().requires_grad_(true);
        var g = autograd.grad([cnn.call(leaf)[0, 3]], [leaf])[0];
        input = (leaf + 0.05 * g).detach();
    }
});
Row($"feature visualisation ({steps} steps)", Best(() => FeatureVisualizer.Maximize(cnn, "conv2", 3, options)), rawSteps, $"{steps} forward + input grad");
