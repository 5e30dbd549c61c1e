// Makes the ML.NET test models used by the adapter tests. Run from the repository root (.NET 10 SDK, no Python):
//     dotnet run tests/models/make_mlnet_models.cs
// It reads the diabetes data shipped in Interactive.Xai.Core and the ONNX MLP made by make_onnx_models.py, and writes,
// next to this file:
//   diabetes_fasttree.zip   Concatenate(age, sex, bmi, bp, s1..s6) -> Features -> FastTree regression (50 trees of
//                           8 leaves, one thread, seed 0) trained on all 442 rows to predict "target". The saved input
//                           schema holds the ten feature columns AND the label column "target".
//   mlp10_via_mlnet.zip     Concatenate(age, ..., s6) -> "input" -> ApplyOnnxModel(mlp10.onnx) -> "output": the very
//                           ONNX MLP of mlp10.onnx inside an ML.NET pipeline (the zip embeds the ONNX bytes).
#:package Microsoft.ML
#:package Microsoft.ML.FastTree
#:package Microsoft.ML.OnnxTransformer
#:package Microsoft.ML.OnnxRuntime
#:project ../../src/Interactive.Xai.Core/Interactive.Xai.Core.csproj
#:property PublishAot=false

using Interactive.Xai;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;

string folder = Path.GetDirectoryName(Path.GetFullPath(ScriptPath()))!;
var context = new MLContext(seed: 0);
var diabetes = Datasets.Diabetes();
string[] featureColumns = [.. diabetes.Features.FeatureNames];
var data = context.Data.LoadFromEnumerable(ToRows(diabetes));
if (!featureColumns.SequenceEqual(["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]) || diabetes.LabelName != "target")
    throw new InvalidOperationException("the shipped diabetes columns changed; update DiabetesRow");

// --- diabetes_fasttree.zip ---
var fastTree = context.Transforms.Concatenate("Features", featureColumns)
    .Append(context.Regression.Trainers.FastTree(new FastTreeRegressionTrainer.Options
    {
        LabelColumnName = diabetes.LabelName,
        FeatureColumnName = "Features",
        NumberOfTrees = 50,
        NumberOfLeaves = 8,
        MinimumExampleCountPerLeaf = 10,
        LearningRate = 0.1,
        NumberOfThreads = 1,
        Seed = 0,
    }));
var fastTreeModel = fastTree.Fit(data);
var metrics = context.Regression.Evaluate(fastTreeModel.Transform(data), labelColumnName: diabetes.LabelName);
Save(fastTreeModel, "diabetes_fasttree.zip", $"training R2 {metrics.RSquared:F3}");

// --- mlp10_via_mlnet.zip ---
var onnx = context.Transforms.Concatenate("input", featureColumns)
    .Append(context.Transforms.ApplyOnnxModel(outputColumnName: "output", inputColumnName: "input",
        modelFile: Path.Combine(folder, "mlp10.onnx")));
Save(onnx.Fit(data), "mlp10_via_mlnet.zip", "wraps mlp10.onnx");

void Save(ITransformer model, string file, string note)
{
    string path = Path.Combine(folder, file);
    context.Model.Save(model, data.Schema, path);
    Console.WriteLine($"{file}: {new FileInfo(path).Length} bytes ({note})");
}

static IEnumerable<DiabetesRow> ToRows(Dataset dataset)
{
    var table = dataset.Features;
    for (int r = 0; r < table.RowCount; r++)
    {
        var x = table.Row(r);
        yield return new DiabetesRow
        {
            Age = x[0], Sex = x[1], Bmi = x[2], BloodPressure = x[3],
            S1 = x[4], S2 = x[5], S3 = x[6], S4 = x[7], S5 = x[8], S6 = x[9],
            Target = dataset.Labels[r],
        };
    }
}

static string ScriptPath([System.Runtime.CompilerServices.CallerFilePath] string path = "") => path;

// One Single column per feature, named as in the shipped CSV, plus the label: the schema a user's data usually has.
sealed class DiabetesRow
{
    [ColumnName("age")] public float Age { get; set; }
    [ColumnName("sex")] public float Sex { get; set; }
    [ColumnName("bmi")] public float Bmi { get; set; }
    [ColumnName("bp")] public float BloodPressure { get; set; }
    [ColumnName("s1")] public float S1 { get; set; }
    [ColumnName("s2")] public float S2 { get; set; }
    [ColumnName("s3")] public float S3 { get; set; }
    [ColumnName("s4")] public float S4 { get; set; }
    [ColumnName("s5")] public float S5 { get; set; }
    [ColumnName("s6")] public float S6 { get; set; }
    [ColumnName("target")] public float Target { get; set; }
}
