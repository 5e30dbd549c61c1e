using System.Globalization;
using Xunit.Abstractions;

namespace Interactive.Xai.Kernel.Tests;

/// <summary>
/// Every tutorial (notebooks/*.ipynb) and every kernel notebook (tests/kernel-notebooks/*.ipynb) runs top to bottom in
/// the real dotnet-interactive kernel over the Jupyter protocol, from the freshly packed package, with no error output
/// and nothing on stderr (cells marked xai_expect_error excepted, see tests/kernel-notebooks/README.md); its HTML
/// rendering (nbconvert) then opens in Chromium with every chart drawn, no console errors and no network requests.
/// </summary>
[Collection(RealKernelCollection.Name)]
public class NotebookTests(RealKernel kernel, ITestOutputHelper output)
{
    public static TheoryData<string> Notebooks()
    {
        var root = Root();
        var data = new TheoryData<string>();
        foreach (var folder in new[] { "notebooks", Path.Combine("tests", "kernel-notebooks") })
            foreach (var file in Directory.GetFiles(Path.Combine(root, folder), "*.ipynb").OrderBy(f => f, StringComparer.Ordinal))
                data.Add(Path.GetRelativePath(root, file));
        return data;
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void Runs_cleanly_in_the_real_kernel_and_draws_in_Chromium(string notebook)
    {
        var (report, executed) = kernel.Execute(Path.Combine(kernel.Root, notebook), TimeSpan.FromMinutes(10));
        output.WriteLine($"{notebook}: {report.GetProperty("seconds").GetDouble().ToString(CultureInfo.InvariantCulture)} s in the kernel (package {kernel.Version}, set-up {kernel.SetupSeconds:F0} s)");
        var problems = NotebookCheck.Problems(report);
        Assert.True(problems.Count == 0, $"{notebook} in the real kernel:\n" + string.Join("\n", problems));

        string html = kernel.RenderHtml(executed);
        using var browser = new PageCheck();
        var page = browser.Open(new Uri(html).AbsoluteUri, TimeSpan.FromSeconds(90));
        browser.SaveScreenshot(Path.ChangeExtension(html, ".png"));
        output.WriteLine($"{notebook}: {page.Drawn} of {page.Charts} charts drew in the nbconvert HTML");
        Assert.True(page.Problems.Count == 0, $"{notebook} rendered by nbconvert, in Chromium:\n" + string.Join("\n", page.Problems));
        if (notebook.StartsWith("notebooks", StringComparison.Ordinal))
            Assert.True(page.Charts > 0, $"{notebook}: the rendered page has no chart at all");
    }

    private static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Interactive.Xai.sln"))) return dir.FullName;
        throw new InvalidOperationException("Interactive.Xai.sln not found");
    }
}
