using Platform.Datasets.V1;
using Platform.ModelStore.Datasets.Profiling;
using static Platform.ModelStore.Tests.Datasets.DatasetTestFiles;

namespace Platform.ModelStore.Tests.Datasets;

/// <summary>The warnings a profile gives for a label: leaks, copies of the label, identifiers, placeholders, zero inflation.</summary>
public sealed class ProfileWarningTests
{
    private static async Task<Platform.Datasets.V1.DatasetProfile> ReportAsync(
        DatasetFileFormat format, byte[] bytes, string label, IReadOnlySet<string>? sensitive = null)
    {
        var scan = await ScanAsync(format, bytes);
        var (analysis, skipped) = await LabelAnalysisScan.RunAsync(format, scan.Profile, label, 64L * 1024 * 1024,
            () => Chunks(bytes), () => new MemoryStream(bytes, writable: false), CancellationToken.None);
        Assert.Null(skipped);
        var stored = scan.Profile with { LabelAnalyses = new Dictionary<string, StoredLabelAnalysis> { [label] = analysis! } };
        return ProfileReport.Build(Guid.Empty, stored, label, sensitive);
    }

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> Chunks(byte[] bytes)
    {
        await Task.Yield();
        for (var offset = 0; offset < bytes.Length; offset += 4096)
            yield return bytes.AsMemory(offset, Math.Min(4096, bytes.Length - offset));
    }

    private static ProfileWarning Only(Platform.Datasets.V1.DatasetProfile profile, string kind, string column) =>
        Assert.Single(profile.WarningDetails, w => w.Kind == kind && w.Column == column);

    [Fact]
    public async Task The_spam_sets_group_column_is_flagged_as_a_likely_leak_with_its_evidence()
    {
        var profile = await ReportAsync(DatasetFileFormat.Csv, Sample("spam-assassin-sample.csv"), "label");

        var leak = Only(profile, "likely_leak", "group");
        Assert.Contains("column `group` alone predicts label `label` almost perfectly", leak.Message, StringComparison.Ordinal);
        Assert.Contains("one-column accuracy 100%", leak.Evidence, StringComparison.Ordinal);
        Assert.Contains("majority class", leak.Evidence, StringComparison.Ordinal);
        Assert.Contains(leak.Message, profile.Warnings);
        // The mails' text is unique per row: pooled, it predicts nothing by itself.
        Assert.DoesNotContain(profile.WarningDetails, w => w.Kind is "likely_leak" or "label_copy" && w.Column is "subject" or "body");
    }

    [Fact]
    public async Task A_relabelled_copy_of_the_label_is_a_copy_and_an_id_column_an_identifier()
    {
        var rows = Enumerable.Range(0, 200).Select(i =>
            $"{1000 + i},{(i % 3 == 0 ? "yes" : "no")},{(i % 3 == 0 ? "Y" : "N")},{(i % 7 == 0 ? "yes" : "no")},{i % 5}");
        var csv = "id,churned,flag,noise,bucket\n" + string.Join("\n", rows) + "\n";

        var profile = await ReportAsync(DatasetFileFormat.Csv, Encoding.UTF8.GetBytes(csv), "churned");

        Assert.Contains("copy of label `churned`", Only(profile, "label_copy", "flag").Message, StringComparison.Ordinal);
        Assert.Contains("200 distinct values in 200 rows", Only(profile, "identifier", "id").Evidence, StringComparison.Ordinal);
        Assert.DoesNotContain(profile.WarningDetails, w => w.Kind is "likely_leak" or "label_copy" && w.Column is "noise" or "bucket" or "id");
    }

    [Fact]
    public async Task A_numeric_near_copy_of_a_regression_label_is_flagged_and_the_label_shown_as_a_distribution()
    {
        var rows = Enumerable.Range(0, 300).Select(i => $"{i * 1.5},{i * 3.0 + 7},{(i * 7919) % 13}");
        var csv = "price,price_eur,other\n" + string.Join("\n", rows) + "\n";

        var profile = await ReportAsync(DatasetFileFormat.Csv, Encoding.UTF8.GetBytes(csv), "price");

        Assert.Contains("Pearson's r 1.0000", Only(profile, "label_copy", "price_eur").Evidence, StringComparison.Ordinal);
        Assert.DoesNotContain(profile.WarningDetails, w => w.Column == "other" && w.Kind is "likely_leak" or "label_copy");
        Assert.Empty(profile.Label.Classes);
        Assert.Equal(0, profile.Label.Distribution.Min);
        Assert.Equal(448.5, profile.Label.Distribution.Max);
        Assert.Single(profile.WarningDetails, w => w.Kind == "regression_label");
    }

    [Fact]
    public async Task A_Parquet_data_set_gets_the_same_analysis_as_its_CSV()
    {
        var bytes = await ParquetAsync(rows: 2500, rowGroupSize: 700);

        // flag is i % 3 == 0; day is 2024-01-01 + i % 30 days, which decides i % 3; city (i % 4) and when (unique) do not.
        var profile = await ReportAsync(DatasetFileFormat.Parquet, bytes, "flag");

        Assert.Contains("one-column accuracy 100%", Only(profile, "likely_leak", "day").Evidence, StringComparison.Ordinal);
        Assert.DoesNotContain(profile.WarningDetails, w => w.Kind is "likely_leak" or "label_copy" && w.Column is "city" or "when" or "id");
        Assert.Equal(2, profile.Label.Classes.Count);
    }

    [Fact]
    public async Task Placeholder_values_and_zero_inflated_columns_are_named_and_the_outlier_flood_is_not_reported()
    {
        var rows = Enumerable.Range(0, 100).Select(i =>
            $"{(i % 10 == 0 ? "?" : i % 10 == 1 ? "NA" : "v" + (i % 3))},{(i % 4 == 0 ? i + 1 : 0)},{i % 2}");
        var csv = "kind,spend,y\n" + string.Join("\n", rows) + "\n";

        var profile = await ReportAsync(DatasetFileFormat.Csv, Encoding.UTF8.GetBytes(csv), "y");

        var placeholder = Only(profile, "placeholder_values", "kind");
        Assert.Contains("`?` (10), `NA` (10)", placeholder.Message, StringComparison.Ordinal);
        Assert.Contains("20 of 100 values", placeholder.Evidence, StringComparison.Ordinal);
        Assert.Contains("75% of its values are 0", Only(profile, "zero_inflated", "spend").Message, StringComparison.Ordinal);
        var spend = profile.Columns.Single(c => c.Name == "spend").Numeric;
        Assert.True(spend.ZeroInflated);
        Assert.Equal(75, spend.ZeroCount);
        Assert.Equal(0, spend.OutlierCount);
    }

    [Fact]
    public async Task A_sensitive_column_shows_no_top_values_and_no_value_in_a_warning()
    {
        var rows = Enumerable.Range(0, 50).Select(i => $"{(i % 2 == 0 ? "alice@example.com" : "bob@example.com")},same,{i % 2}");
        var csv = "email,constant,y\n" + string.Join("\n", rows) + "\n";
        var sensitive = new HashSet<string> { "email", "constant" };

        var profile = await ReportAsync(DatasetFileFormat.Csv, Encoding.UTF8.GetBytes(csv), "y", sensitive);

        Assert.Empty(profile.Columns.Single(c => c.Name == "email").TopValues);
        Assert.Empty(profile.Columns.Single(c => c.Name == "constant").TopValues);
        var all = string.Join("\n", profile.Warnings) + string.Join("\n", profile.WarningDetails.Select(w => w.Evidence));
        Assert.DoesNotContain("example.com", all, StringComparison.Ordinal);
        Assert.DoesNotContain("`same`", all, StringComparison.Ordinal);
        // The leak itself is still reported, by name and figures.
        Assert.Contains(profile.WarningDetails, w => w.Column == "email" && w.Kind == "label_copy");
    }
}
