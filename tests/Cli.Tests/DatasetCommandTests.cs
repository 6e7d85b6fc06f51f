using Platform.Cli.Commands;
using Platform.Datasets.V1;

namespace Platform.Cli.Tests;

public sealed class DatasetCommandTests : IAsyncLifetime
{
    private FakeGateway _gateway = null!;

    public async Task InitializeAsync() => _gateway = await FakeGateway.StartAsync();

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private Task<CliRun> Run(params string[] args) => CliRun.InvokeAsync(["--gateway", _gateway.Address, .. args]);

    [Fact]
    public async Task Profile_prints_numeric_and_other_columns_the_label_and_the_warnings()
    {
        var run = await Run("datasets", "profile", "ds-9", "--label", "Sex");

        Assert.Equal(0, run.ExitCode);
        var request = Assert.Single(_gateway.Log.ProfileRequests);
        Assert.Equal(("ds-9", "Sex"), (request.DatasetId, request.Label));
        Assert.Contains("344", run.Out);
        // Numeric table: min, median, max, mean; missing with its share.
        Assert.Matches(@"Body Mass \(g\)\s*│\s*2 \(0\.6%\)\s*│\s*94\s*│\s*2700\s*│\s*3150\s*│\s*3550\s*│\s*4050\s*│\s*4750\s*│\s*5650\s*│\s*6300\s*│\s*4201\.754", run.Out);
        Assert.Matches(@"Sex\s*│\s*categorical\s*│\s*10 \(2\.9%\)\s*│\s*3\s*│\s*MALE 168 \(50%\), FEMALE 165 \(49%\), …", run.Out);
        Assert.Contains("2007-11-09 to 2009-12-01", run.Out);
        Assert.Contains("Label Sex", run.Out);
        Assert.Matches(@"\(missing\)\s*│\s*10", run.Out);
        Assert.Contains("Outliers: values below P25 - 1.5 IQR or above P75 + 1.5 IQR", run.Out);
        Assert.Contains("! column `Sex` has 2.9% missing values (10 rows)", run.Out);
    }

    [Fact]
    public async Task Profile_without_a_label_sends_none()
    {
        var run = await Run("datasets", "profile", "ds-9");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", Assert.Single(_gateway.Log.ProfileRequests).Label);
        Assert.DoesNotContain("Label", run.Out);
    }

    [Fact]
    public async Task Upload_sends_the_format_and_column_types()
    {
        var path = Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}.tsv");
        await File.WriteAllTextAsync(path, "a\tb\n1\tx\n");
        try
        {
            var run = await Run("datasets", "upload", path, "--type", "a=categorical", "--type", "b=text", "-q");

            Assert.Equal(0, run.ExitCode);
            var header = _gateway.Log.Uploads.First().Header;
            Assert.Equal(DatasetFormat.Tsv, header.Format);
            Assert.Equal(new Dictionary<string, ColumnType> { ["a"] = ColumnType.Categorical, ["b"] = ColumnType.Text }, header.ColumnTypes);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_bad_column_type_is_a_usage_error()
    {
        var path = Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(path, "a\n1\n");
        try
        {
            var run = await Run("datasets", "upload", path, "--type", "a=number");

            Assert.NotEqual(0, run.ExitCode);
            Assert.Contains("--type a=number: expected COLUMN=numeric|categorical|boolean|text|date", run.Error);
            Assert.Empty(_gateway.Log.Uploads);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(null, "data.parquet", DatasetFormat.Parquet)]
    [InlineData(null, "data.TSV", DatasetFormat.Tsv)]
    [InlineData(null, "data.tab", DatasetFormat.Tsv)]
    [InlineData(null, "data.txt", DatasetFormat.Csv)]
    [InlineData("parquet", "data.bin", DatasetFormat.Parquet)]
    public void The_format_comes_from_the_option_or_the_extension(string? option, string file, DatasetFormat format)
    {
        Assert.Equal(format, DatasetCommands.FormatOf(option, new FileInfo(file)));
    }
}
