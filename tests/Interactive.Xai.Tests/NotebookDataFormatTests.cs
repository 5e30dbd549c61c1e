using Apache.Arrow;
using Apache.Arrow.Ipc;

namespace Interactive.Xai.Tests;

/// <summary>Issue 13.7: the notebook's --data file may be Arrow IPC (or Parquet) as well as CSV, with the same result.</summary>
public class NotebookDataFormatTests
{
    [Fact]
    public void Explain_reads_an_arrow_file_as_it_reads_the_same_numbers_in_a_csv_file()
    {
        var diabetes = Datasets.Diabetes().Features;
        string folder = Directory.CreateTempSubdirectory("xai-nb-formats-").FullName;
        try
        {
            string csv = Path.Combine(folder, "d.csv"), arrow = Path.Combine(folder, "d.arrow");
            File.WriteAllLines(csv, new[] { string.Join(',', diabetes.FeatureNames) }.Concat(Enumerable.Range(0, 30).Select(r =>
                string.Join(',', Enumerable.Range(0, diabetes.ColumnCount).Select(c => diabetes[r, c].ToString("R", System.Globalization.CultureInfo.InvariantCulture))))));
            var builder = new RecordBatch.Builder();
            for (int c = 0; c < diabetes.ColumnCount; c++)
            {
                int column = c;
                builder.Append(diabetes.FeatureNames[c], false, col => col.Float(b => b.AppendRange(Enumerable.Range(0, 30).Select(r => diabetes[r, column]))));
            }
            var batch = builder.Build();
            using (var stream = File.Create(arrow))
            using (var writer = new ArrowFileWriter(stream, batch.Schema))
            {
                writer.WriteRecordBatch(batch);
                writer.WriteEnd();
            }
            AttributionExplanation Explain(string data)
            {
                var (result, shown) = Fixtures.Run($"#!xai-explain --model {Fixtures.ModelPath("mlp10.onnx")} --data {data} --rows 0-4", []);
                Assert.True(result.Succeeded, result.Error);
                return Assert.IsType<AttributionExplanation>(Assert.Single(shown));
            }
            var fromCsv = Explain(csv);
            var fromArrow = Explain(arrow);
            Assert.Equal(fromCsv.Values.ToArray(), fromArrow.Values.ToArray());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
