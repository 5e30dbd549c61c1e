namespace Interactive.Xai.Cli.Tests;

/// <summary>What a .pt run leaves on standard error, seen from the real executable (libtorch writes to the process's stderr directly).</summary>
public class TorchStderrTests
{
    [Fact]
    public void An_occlusion_run_on_a_torchscript_cnn_prints_no_nnpack_warning()
    {
        // Occlusion sends the CNN large batches, where libtorch considers NNPACK for its convolutions; on CPUs where
        // NNPACK cannot start, libtorch used to log "Could not initialize NNPACK! Reason: Unsupported hardware." here.
        using var folder = new TempFolder();
        var digits = Datasets.Digits().Features;
        var rows = Enumerable.Range(0, 4).Select(r => string.Join(",", digits.Row(r).ToArray().Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))));
        var data = folder.File("digits.csv", string.Join(",", digits.FeatureNames) + "\n" + string.Join("\n", rows) + "\n");
        var json = folder.File("occlusion.json");
        var (code, output, error) = ProcessTests.RunXai("explain", "--model", CliRunner.ModelPath("digits_cnn.pt"), "--input-shape", "1,8,8",
            "--data", data, "--method", "occlusion", "--target", "predicted", "--json", json);
        Assert.True(code == 0, error);
        Assert.StartsWith("occlusion:", output);
        Assert.DoesNotContain("NNPACK", error);
    }
}
