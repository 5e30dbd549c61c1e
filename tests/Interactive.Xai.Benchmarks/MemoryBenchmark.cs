// Peak memory of the built `xai` command at 1,000,000 rows x 10 features (issue 13.3). Generates a diabetes-like
// CSV (and the same table as Parquet) in a temporary folder, runs `dotnet xai.dll explain ...` once per method as a
// child process, and prints its peak resident set size (Maximum resident set size from /usr/bin/time -v, else the
// VmHWM line of /proc/<pid>/status polled until exit) next to the float data (1,000,000 x 10 x 4 bytes = 40 MB).
// "net" subtracts the same command's peak on a 10-row file (the runtime, ONNX Runtime, the model and, for runs that
// write HTML, the chart libraries: a constant), with or without --html as the run has it.
// Methods that explain row by row (exact/kernel SHAP, LIME, occlusion, Tree SHAP) explain --rows 0-999 (LIME 0-99)
// while the whole 1M-row file stays their reference data (k-means background, LIME statistics, tree covers).
// Run: dotnet run -c Release --project tests/Interactive.Xai.Benchmarks -- --memory [--rows 1000000] [--xai path/to/xai.dll]
//      [--only TEXT] (only the runs whose name contains TEXT, besides the two constant runs)
// (build the CLI first: dotnet build -c Release src/Interactive.Xai.Cli; the Debug build is used when no Release one exists).
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Interactive.Xai;
using Parquet;
using Parquet.Schema;

internal static class MemoryBenchmark
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static void Run(string[] args)
    {
        int rows = IntArgument(args, "--rows", 1_000_000);
        string? xai = StringArgument(args, "--xai") ?? FindCli();
        if (xai is null || !File.Exists(xai))
        {
            Console.WriteLine("xai.dll not found: build it first (dotnet build -c Release src/Interactive.Xai.Cli) or pass --xai PATH");
            return;
        }
        string root = FindRoot()!;
        string models = Path.Combine(root, "tests", "models");
        string folder = Directory.CreateTempSubdirectory("xai-memory-").FullName;
        try
        {
            var watch = Stopwatch.StartNew();
            var (data, labels, parquet, small) = Generate(folder, rows);
            Console.WriteLine(string.Create(Inv, $"xai: {xai}"));
            Console.WriteLine(string.Create(Inv, $"data: {rows:N0} rows x 10 features; CSV {new FileInfo(data).Length / 1e6:F0} MB, Parquet {new FileInfo(parquet).Length / 1e6:F0} MB; generated in {watch.Elapsed.TotalSeconds:F1} s"));
            double floatMb = rows * 10 * 4 / 1e6;
            string mlp = Path.Combine(models, "mlp10.onnx"), trees = Path.Combine(models, "diabetes_fasttree.zip");
            string Out(string name) => Path.Combine(folder, name);
            var runs = new (string Name, string[] Args)[]
            {
                ("constant: pdp on 10 rows --json", ["--model", mlp, "--data", small, "--method", "pdp", "--feature", "bmi", "--json", Out("c.json")]),
                ("constant: pdp on 10 rows --json --html", ["--model", mlp, "--data", small, "--method", "pdp", "--feature", "bmi", "--json", Out("c2.json"), "--html", Out("c2.html")]),
                ("load only (CSV, refused)", ["--model", mlp, "--data", data, "--method", "pdp", "--feature", "bmi", "--max-evaluations", "1"]),
                ("load only (Parquet, refused)", ["--model", mlp, "--data", parquet, "--method", "pdp", "--feature", "bmi", "--max-evaluations", "1"]),
                ("pdp --json --html", ["--model", mlp, "--data", data, "--method", "pdp", "--feature", "bmi", "--json", Out("pdp.json"), "--html", Out("pdp.html")]),
                ("pdp --json", ["--model", mlp, "--data", data, "--method", "pdp", "--feature", "bmi", "--json", Out("pdp1.json")]),
                ("pdp --html", ["--model", mlp, "--data", data, "--method", "pdp", "--feature", "bmi", "--html", Out("pdp2.html")]),
                ("pdp Parquet --json --html", ["--model", mlp, "--data", parquet, "--method", "pdp", "--feature", "bmi", "--json", Out("pdpq.json"), "--html", Out("pdpq.html")]),
                ("ice --html", ["--model", mlp, "--data", data, "--method", "ice", "--feature", "bmi", "--html", Out("ice.html")]),
                // Every row's curve in the JSON: 1M x 20 values, kept in a temporary file as float32 (80 MB on disk) and streamed into the JSON.
                ("ice --json (every curve)", ["--model", mlp, "--data", data, "--method", "ice", "--feature", "bmi", "--json", Out("ice.json")]),
                ("ale --json --html", ["--model", mlp, "--data", data, "--method", "ale", "--feature", "bmi", "--json", Out("ale.json"), "--html", Out("ale.html")]),
                ("permutation-importance (1 repeat)", ["--model", mlp, "--data", data, "--method", "permutation-importance", "--labels", labels, "--repeats", "1", "--json", Out("pi.json"), "--html", Out("pi.html")]),
                ("exact-shap --rows 0-999", ["--model", mlp, "--data", data, "--method", "exact-shap", "--rows", "0-999", "--json", Out("es.json"), "--html", Out("es.html")]),
                ("kernel-shap --rows 0-999", ["--model", mlp, "--data", data, "--method", "kernel-shap", "--rows", "0-999", "--json", Out("ks.json")]),
                ("lime --rows 0-99", ["--model", mlp, "--data", data, "--method", "lime", "--rows", "0-99", "--json", Out("lime.json")]),
                ("occlusion --rows 0-999", ["--model", mlp, "--data", data, "--method", "occlusion", "--rows", "0-999", "--json", Out("occ.json")]),
                ("tree-shap (FastTree) --rows 0-999", ["--model", trees, "--data", data, "--method", "tree-shap", "--rows", "0-999", "--json", Out("ts.json")]),
            };
            if (StringArgument(args, "--only") is { } only)
                runs = runs.Where(r => r.Name.StartsWith("constant", StringComparison.Ordinal) || r.Name.Contains(only, StringComparison.Ordinal)).ToArray();
            Console.WriteLine();
            Console.WriteLine(string.Create(Inv, $"{"run",-36} {"exit",4} {"seconds",8} {"peak MB",8} {"/ float",8} {"net MB",7} {"net / float",11}"));
            double plain = 0, withHtml = 0;
            foreach (var (name, runArgs) in runs)
            {
                var (exit, seconds, peakKb, error) = Measure(xai, ["explain", .. runArgs, "--quiet"]);
                double peakMb = peakKb / 1024.0;
                bool html = runArgs.Contains("--html");
                if (plain == 0) plain = peakMb;
                else if (withHtml == 0) withHtml = peakMb;
                double net = peakMb - (html ? withHtml : plain);
                bool isConstant = name.StartsWith("constant", StringComparison.Ordinal);
                Console.WriteLine(string.Create(Inv,
                    $"{name,-36} {exit,4} {seconds,8:F1} {peakMb,8:F0} {(isConstant ? "" : (peakMb / floatMb).ToString("F2", Inv)),8} {(isConstant ? "" : net.ToString("F0", Inv)),7} {(isConstant ? "" : (net / floatMb).ToString("F2", Inv)),11}"));
                if (exit != 0 && !name.Contains("refused", StringComparison.Ordinal)) Console.WriteLine("    " + error.Trim());
                if (name.Contains("refused", StringComparison.Ordinal)) Console.WriteLine("    " + error.Trim());
            }
            Console.WriteLine();
            Console.WriteLine(string.Create(Inv, $"float data: {floatMb:F0} MB (MB = 2^20 bytes for peaks, 10^6 for the data); 'net' subtracts the peak of the 10-row run with the same kind of output ({plain:F0} MB without HTML, {withHtml:F0} MB with)."));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    // Runs `dotnet xai.dll args` and returns its exit code, wall time and peak RSS in kB.
    private static (int Exit, double Seconds, long PeakKb, string Error) Measure(string xai, string[] args)
    {
        bool useTime = File.Exists("/usr/bin/time");
        var start = new ProcessStartInfo(useTime ? "/usr/bin/time" : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (useTime) { start.ArgumentList.Add("-v"); start.ArgumentList.Add("dotnet"); }
        start.ArgumentList.Add(xai);
        foreach (var a in args) start.ArgumentList.Add(a);
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        long polled = 0;
        while (!process.WaitForExit(20))
        {
            if (!useTime) polled = Math.Max(polled, VmHwm(process.Id));
        }
        process.WaitForExit();
        string error = stderr.Result;
        _ = stdout.Result;
        long peak = polled;
        var lines = error.Split('\n');
        if (useTime)
        {
            var line = lines.FirstOrDefault(l => l.Contains("Maximum resident set size", StringComparison.Ordinal));
            if (line is not null) peak = long.Parse(line[(line.LastIndexOf(':') + 1)..].Trim(), Inv);
            error = string.Join('\n', lines.TakeWhile(l => !l.StartsWith("\tCommand being timed", StringComparison.Ordinal)));
        }
        int exit = process.ExitCode;
        if (useTime)
        {
            var status = lines.FirstOrDefault(l => l.Contains("Exit status:", StringComparison.Ordinal));
            if (status is not null) exit = int.Parse(status[(status.LastIndexOf(':') + 1)..].Trim(), Inv);
        }
        return (exit, watch.Elapsed.TotalSeconds, peak, error);
    }

    private static long VmHwm(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line[6..].Trim().Split(' ')[0], Inv);
        }
        catch (IOException) { }
        return 0;
    }

    // Diabetes rows resampled with small noise: a CSV of the 10 features, a labels CSV, the same table as Parquet
    // (row groups of 100,000 rows), and a 10-row CSV.
    private static (string Data, string Labels, string Parquet, string Small) Generate(string folder, int rows)
    {
        var diabetes = Datasets.Diabetes();
        var names = diabetes.Features.FeatureNames.ToArray();
        var random = new Random(1);
        var values = new float[(long)rows * 10];
        var labels = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            int source = random.Next(diabetes.Features.RowCount);
            for (int c = 0; c < 10; c++)
                values[(long)r * 10 + c] = (float)Math.Round(diabetes.Features[source, c] * (1 + 0.01 * (random.NextDouble() - 0.5)), 4);
            labels[r] = diabetes.Labels[source];
        }
        string data = Path.Combine(folder, "data.csv"), labelPath = Path.Combine(folder, "labels.csv"), small = Path.Combine(folder, "small.csv");
        using (var writer = new StreamWriter(data, false, new UTF8Encoding(false), 1 << 16))
        using (var labelWriter = new StreamWriter(labelPath, false, new UTF8Encoding(false), 1 << 16))
        using (var smallWriter = new StreamWriter(small, false, new UTF8Encoding(false)))
        {
            writer.Write(string.Join(',', names) + "\n");
            smallWriter.Write(string.Join(',', names) + "\n");
            labelWriter.Write("target\n");
            var line = new StringBuilder();
            for (int r = 0; r < rows; r++)
            {
                line.Clear();
                for (int c = 0; c < 10; c++)
                {
                    if (c > 0) line.Append(',');
                    line.Append(values[(long)r * 10 + c].ToString("R", Inv));
                }
                line.Append('\n');
                writer.Write(line);
                if (r < 10) smallWriter.Write(line);
                labelWriter.Write(labels[r].ToString("R", Inv) + "\n");
            }
        }
        string parquet = Path.Combine(folder, "data.parquet");
        var fields = names.Select(n => new DataField<float>(n)).ToArray();
        Task.Run(async () =>
        {
            await using var stream = File.Create(parquet);
            await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), stream);
            var column = new float[100_000];
            for (int start = 0; start < rows; start += column.Length)
            {
                int count = Math.Min(column.Length, rows - start);
                using var group = writer.CreateRowGroup();
                for (int c = 0; c < 10; c++)
                {
                    for (int i = 0; i < count; i++) column[i] = values[(long)(start + i) * 10 + c];
                    await group.WriteAsync<float>(fields[c], column.AsMemory(0, count));
                }
            }
        }).GetAwaiter().GetResult();
        return (data, labelPath, parquet, small);
    }

    private static string? FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Interactive.Xai.sln"))) return dir.FullName;
        return null;
    }

    private static string? FindCli()
    {
        string? root = FindRoot();
        if (root is null) return null;
        foreach (var configuration in new[] { "Release", "Debug" })
        {
            string path = Path.Combine(root, "src", "Interactive.Xai.Cli", "bin", configuration, "net10.0", "xai.dll");
            if (File.Exists(path)) return path;
        }
        return null;
    }

    private static int IntArgument(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], Inv) : fallback;
    }

    private static string? StringArgument(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
