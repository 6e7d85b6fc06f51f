using System.Globalization;
using Platform.ModelStore.Datasets.Profiling;
using Platform.ServiceDefaults.Errors;
using static Platform.ModelStore.Tests.Datasets.DatasetTestFiles;

namespace Platform.ModelStore.Tests.Datasets;

/// <summary>Type inference, overrides, the stored profile and bad input, for every format, without a server.</summary>
public sealed class DatasetProfilingTests
{
    private const DatasetColumnType Numeric = DatasetColumnType.Numeric;
    private const DatasetColumnType Categorical = DatasetColumnType.Categorical;
    private const DatasetColumnType Boolean = DatasetColumnType.Boolean;
    private const DatasetColumnType Text = DatasetColumnType.Text;
    private const DatasetColumnType Date = DatasetColumnType.Date;

    [Fact]
    public async Task Penguins_profile_has_the_exact_missing_count_of_every_column()
    {
        var bytes = Sample("penguins.csv");

        var scan = await ScanAsync(DatasetFileFormat.Csv, bytes);

        // Counted independently: penguins.csv has no quoted fields, so splitting lines on commas is exact.
        var lines = Encoding.UTF8.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0].Split(',');
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(rows.Count, scan.Profile.RowCount);
        Assert.Equal(header, scan.Profile.Columns.Select(c => c.Name));
        for (var i = 0; i < header.Length; i++)
            Assert.Equal(rows.Count(r => r[i].Length == 0), scan.Profile.Columns[i].MissingCount);

        // Known facts: 344 penguins; 2 without measurements, 11 without a sex (the 2 included).
        Assert.Equal(344, scan.Profile.RowCount);
        Assert.Equal(2, scan.Column("Body Mass (g)").MissingCount);
        Assert.Equal(10, scan.Column("Sex").MissingCount);
        Assert.Equal(0, scan.Column("Species").MissingCount);
        Assert.Equal(["Adelie:152", "Gentoo:124", "Chinstrap:68"], scan.Column("Species").TopValues.Select(v => $"{v.Value}:{v.Count}"));
        var mass = scan.Column("Body Mass (g)").Numeric!;
        Assert.Equal(2700, mass.Min);
        Assert.Equal(6300, mass.Max);
        Assert.True(mass.QuantilesExact);
        // Checked against pandas: df["Body Mass (g)"].describe() -> mean 4201.754386, std 801.954536, 50% 4050.
        Assert.Equal(4201.754386, mass.Mean, 5);
        Assert.Equal(801.954536, mass.Std, 5);
        Assert.Equal(4050, mass.P50);
    }

    [Fact]
    public async Task Iris_has_150_rows_three_classes_of_50_and_four_numeric_features()
    {
        var scan = await ScanAsync(DatasetFileFormat.Csv, Sample("iris.csv"));

        Assert.Equal(150, scan.RowCount);
        Assert.All(scan.Columns.SkipLast(1), c => Assert.Equal(Numeric, c.Type));
        var species = scan.Column("species");
        Assert.Equal(Categorical, species.Type);
        Assert.Equal([50L, 50L, 50L], species.ValueCounts!.Select(v => v.Count));

        var report = ProfileReport.Build(Guid.Empty, scan.Profile, "species");
        Assert.Equal(3, report.Label.Classes.Count);
        Assert.True(report.Label.ClassesComplete);
        Assert.Equal(1, report.Label.ImbalanceRatio);
        Assert.All(report.Label.Classes, c => Assert.Equal(1 / 3.0, c.Share, 9));
        Assert.DoesNotContain(report.Warnings, w => w.Contains("label", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Infers_every_type()
    {
        var scan = await CsvAsync("""
            n,b,d,t,c,e
            1.5,true,2024-01-31,"The quick brown fox jumps over the lazy dog",red,
            -2,FALSE,2024-02-29T13:45:00Z,"Pack my box with five dozen liquor jugs now",blue,
            3e2,True,2024-03-01 08:00:00.5,"How vexingly quick daft zebras jump, said he",red,
            """);

        Assert.Equal([Numeric, Boolean, Date, Text, Categorical, Numeric], scan.Columns.Select(c => c.Type));
        Assert.Equal("2024-01-31T00:00:00Z", scan.Column("d").MinDate);
        Assert.Equal("2024-03-01T08:00:00.5Z", scan.Column("d").MaxDate);
        Assert.Equal(3, scan.Column("e").MissingCount);
    }

    [Theory]
    [InlineData("2024-01-31", true)]
    [InlineData("2024-01-31T10:00", true)]
    [InlineData("2024-01-31T10:00:00+02:00", true)]
    [InlineData("2024-01-31 10:00:00.123456", true)]
    [InlineData("31/01/2024", false)]
    [InlineData("2024-13-01", false)]
    [InlineData("2024-01-31 noon", false)]
    public async Task Dates_are_iso_8601(string value, bool isDate)
    {
        var scan = await CsvAsync($"when\n{value}\n2020-01-01\n");

        Assert.Equal(isDate ? Date : Categorical, scan.Columns[0].Type);
    }

    [Fact]
    public async Task Free_text_needs_long_values_with_spaces_that_are_mostly_distinct()
    {
        const string sentence = "a sentence that is long enough to be text";
        var distinct = string.Join("\n", Enumerable.Range(0, 10).Select(i => $"\"{sentence} {i}\""));
        var repeated = string.Join("\n", Enumerable.Range(0, 10).Select(i => $"\"{sentence} {i % 2}\""));
        var noSpaces = string.Join("\n", Enumerable.Range(0, 10).Select(i => $"{new string('x', 30)}{i}"));

        Assert.Equal(Text, (await CsvAsync($"v\n{distinct}\n")).Columns[0].Type);
        Assert.Equal(Categorical, (await CsvAsync($"v\n{repeated}\n")).Columns[0].Type);
        Assert.Equal(Categorical, (await CsvAsync($"v\n{noSpaces}\n")).Columns[0].Type);
        // Long names with spaces, but few of them: a category (penguins' full species names).
        var species = string.Join("\n", Enumerable.Range(0, 12).Select(i => i % 3 == 0 ? "Adelie Penguin (Pygoscelis adeliae)" : i % 3 == 1 ? "Gentoo penguin (Pygoscelis papua)" : "Chinstrap penguin (Pygoscelis antarctica)"));
        Assert.Equal(Categorical, (await CsvAsync($"v\n{species}\n")).Columns[0].Type);
    }

    [Fact]
    public async Task Spam_mail_subjects_and_bodies_are_text()
    {
        var scan = await ScanAsync(DatasetFileFormat.Csv, Sample("spam-assassin-sample.csv"));

        Assert.Equal([Categorical, Text, Text, Categorical], scan.Columns.Select(c => c.Type));
    }

    [Fact]
    public async Task Overrides_replace_the_inferred_type()
    {
        var scan = await CsvAsync("zip,flag,code\n01234,true,7\n98765,false,8\n", Types(("zip", Categorical), ("flag", Categorical), ("code", Text)));

        Assert.Equal([Categorical, Categorical, Text], scan.Columns.Select(c => c.Type));
        Assert.Equal(["01234", "98765"], scan.Column("zip").TopValues.Select(v => v.Value).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_numeric_override_that_fits_the_values_keeps_their_statistics()
    {
        var scan = await CsvAsync("x\n1\n\n3\n", Types(("x", Numeric)));

        Assert.Equal(Numeric, scan.Columns[0].Type);
        Assert.Equal(2, scan.Column("x").Numeric!.Mean);
    }

    [Theory]
    [InlineData(DatasetColumnType.Numeric, "row 3 (line 4), column 'x': 'abc' is not a number, but column_types sets the column to NUMERIC")]
    [InlineData(DatasetColumnType.Boolean, "row 1 (line 2), column 'x': '1' is not true or false, but column_types sets the column to BOOLEAN")]
    [InlineData(DatasetColumnType.Date, "row 1 (line 2), column 'x': '1' is not an ISO 8601 date or date-time")]
    public async Task An_override_the_values_contradict_names_the_column_the_row_and_the_value(DatasetColumnType type, string message)
    {
        var error = await CsvErrorAsync("x,y\n1,a\n2,b\nabc,c\n4,d\n", Types(("x", type)));

        Assert.StartsWith(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_override_naming_no_column_is_rejected()
    {
        var error = await Assert.ThrowsAsync<InvalidArgumentException>(() => CsvAsync("x,y\n1,2\n", Types(("z", Numeric))));

        Assert.Equal("header.column_types", error.Field);
        Assert.Contains("'z' is not a column of the file (its columns: 'x', 'y')", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tsv_is_tab_separated_without_quoting()
    {
        var scan = await ScanAsync(DatasetFileFormat.Tsv, Encoding.UTF8.GetBytes("a\tb c\tq\n1\tx, y\t5'6\"\n\t\"z\"\t7\n"));

        Assert.Equal(["a", "b c", "q"], scan.Columns.Select(c => c.Name));
        Assert.Equal(2, scan.RowCount);
        Assert.Equal(1, scan.Column("a").MissingCount);
        Assert.Contains(scan.Column("b c").TopValues, v => v.Value == "\"z\"");
        Assert.Contains(scan.Column("q").TopValues, v => v.Value == "5'6\"");
    }

    [Fact]
    public async Task Tsv_errors_name_the_row_line_and_rule()
    {
        var error = await Assert.ThrowsAsync<DatasetFormatException>(() =>
            ScanAsync(DatasetFileFormat.Tsv, Encoding.UTF8.GetBytes("a\tb\n1\t2\n3\t4\t5\n")));

        Assert.Equal("row 2 (line 3) has 3 fields, the header has 2", error.Message);
        Assert.Equal(2, error.Row);
    }

    [Fact]
    public async Task Parquet_types_come_from_the_schema_and_every_row_group_is_read()
    {
        var bytes = await ParquetAsync(rows: 2500, rowGroupSize: 1000);

        var scan = await ScanAsync(DatasetFileFormat.Parquet, bytes);

        Assert.Equal(2500, scan.RowCount);
        Assert.Equal(["id:Numeric", "price:Numeric", "flag:Boolean", "city:Categorical", "when:Date", "day:Date"],
            scan.Columns.Select(c => $"{c.Name}:{c.Type}"));
        Assert.Equal(250, scan.Column("price").MissingCount);
        Assert.Equal(625, scan.Column("city").MissingCount);
        Assert.Equal(0, scan.Column("flag").MissingCount);
        Assert.Equal(["Oslo:625", "Paris:625", "Rome:625"], scan.Column("city").TopValues.Select(v => $"{v.Value}:{v.Count}"));
        Assert.Equal(2500, scan.Column("id").DistinctCount);
        Assert.Equal(2500, scan.Column("id").Numeric!.Max);
        Assert.Equal("2024-01-01T00:00:00Z", scan.Column("when").MinDate);
        Assert.Equal("2024-04-14T03:00:00Z", scan.Column("when").MaxDate);
        Assert.Equal("2024-01-01", scan.Column("day").MinDate);
        Assert.Equal("2024-01-30", scan.Column("day").MaxDate);
        Assert.Equal(30, scan.Column("day").DistinctCount);
    }

    [Fact]
    public async Task Parquet_string_overrides_are_checked_like_csv_and_typed_columns_only_become_categories()
    {
        var bytes = await ParquetAsync(rows: 10);

        var scan = await ScanAsync(DatasetFileFormat.Parquet, bytes, Types(("id", Categorical)));
        Assert.Equal(Categorical, scan.Column("id").Type);
        Assert.Equal(10, scan.Column("id").TopValues.Count);

        var notNumber = await Assert.ThrowsAsync<DatasetFormatException>(() => ScanAsync(DatasetFileFormat.Parquet, bytes, Types(("city", Numeric))));
        Assert.Equal("row 1, column 'city': 'Paris' is not a number, but column_types sets the column to NUMERIC", notNumber.Message);

        var typed = await Assert.ThrowsAsync<DatasetFormatException>(() => ScanAsync(DatasetFileFormat.Parquet, bytes, Types(("flag", Numeric))));
        Assert.StartsWith("column 'flag': column_types sets it to NUMERIC, but it is a Parquet boolean column", typed.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("garbage")]
    [InlineData("csv")]
    public async Task A_corrupt_parquet_file_is_rejected(string damage)
    {
        var good = await ParquetAsync(rows: 100);
        var bytes = damage switch
        {
            "truncated" => good[..(good.Length / 2)],
            "garbage" => Requests.RandomBytes(5000, seed: 3),
            _ => Encoding.UTF8.GetBytes("a,b\n1,2\n"),
        };

        var error = await Assert.ThrowsAsync<DatasetFormatException>(() => ScanAsync(DatasetFileFormat.Parquet, bytes));

        Assert.StartsWith("dataset is not a valid Parquet file: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Damaged_parquet_data_pages_are_named_by_row_group_and_column()
    {
        var bytes = await ParquetAsync(rows: 2000, rowGroupSize: 1000);
        // Overwrite the middle of the file (data pages, not the footer).
        for (var i = 100; i < bytes.Length / 2; i++) bytes[i] = 0xFF;

        var error = await Assert.ThrowsAsync<DatasetFormatException>(() => ScanAsync(DatasetFileFormat.Parquet, bytes));

        Assert.Matches("^dataset is not a valid Parquet file: row group 1 \\(rows 1 to 1000\\), column '[a-z]+' cannot be read", error.Message);
    }

    public static TheoryData<string, string, string> BadCsv => new()
    {
        { "wrong field count", "a,b\n1,2\n3\n", "row 2 (line 3) has 1 field, the header has 2" },
        { "unterminated quote", "a,b\n1,\"2\n", "row 1 (line 2), column 'b': a quoted field is not closed before the end of the file" },
        { "empty file", "", "dataset is empty" },
        { "header only", "a,b\n", "dataset has a header but no data rows" },
        { "duplicate column", "a,b,a\n1,2,3\n", "the header (line 1): column 3 'a' has the same name as column 1" },
        { "empty column name", "a,,c\n1,2,3\n", "the header (line 1): column 2 has an empty name" },
    };

    [Theory]
    [MemberData(nameof(BadCsv))]
    public async Task Bad_csv_is_rejected_naming_the_row_column_and_rule(string _, string csv, string message)
    {
        Assert.Equal(message, await CsvErrorAsync(csv));
    }

    [Fact]
    public async Task Non_utf8_bytes_are_rejected_with_their_offset()
    {
        var bytes = Encoding.Latin1.GetBytes("name\nJosé\n");

        var error = await Assert.ThrowsAsync<DatasetFormatException>(() => ScanAsync(DatasetFileFormat.Csv, bytes));

        Assert.Equal("dataset is not UTF-8 text: invalid byte sequence at offset 8 (save the file as UTF-8)", error.Message);
    }

    [Fact]
    public async Task Warnings_flag_identifiers_constants_missing_columns_and_missing_shares()
    {
        var csv = new StringBuilder("id,constant,empty,sparse,feature\n");
        for (var i = 0; i < 50; i++)
            csv.Append(CultureInfo.InvariantCulture, $"{1000 + i},same,,{(i % 3 == 0 ? "" : "v")},{i % 5}\n");
        var scan = await CsvAsync(csv.ToString());

        var report = ProfileReport.Build(Guid.Empty, scan.Profile, label: null);

        Assert.Equal(
        [
            "column `id` looks like an identifier (every value distinct): exclude it from the features",
            "column `constant` is constant (every value is `same`): it carries no information",
            "column `empty` is entirely missing: it carries no information",
            "column `sparse` is constant (every value is `v`): it carries no information",
            "column `sparse` has 34% missing values (17 rows)",
        ], report.Warnings);
        Assert.True(report.Columns[1].Constant);
        Assert.True(report.Columns[2].AllMissing);
        Assert.Equal(17 / 50.0, report.Columns[3].MissingShare, 9);
    }

    [Fact]
    public async Task Label_warnings_name_dropped_rows_one_class_and_imbalance()
    {
        var csv = new StringBuilder("x,y,single\n");
        for (var i = 0; i < 100; i++) csv.Append(CultureInfo.InvariantCulture, $"{i % 7},{(i < 2 ? "" : i < 92 ? "no" : "yes")},only\n");
        var scan = await CsvAsync(csv.ToString());

        var imbalanced = ProfileReport.Build(Guid.Empty, scan.Profile, "y");
        var single = ProfileReport.Build(Guid.Empty, scan.Profile, "single");

        Assert.Equal(
        [
            "label `y` has 2% missing values: those 2 rows will be dropped by training",
            "label `y` is imbalanced: its largest class `no` has 11.3× the rows of its smallest `yes` (8.2% of labelled rows): prefer stratified splits and macro metrics",
        ], imbalanced.Warnings.Take(2));
        Assert.Equal(["no:90", "yes:8"], imbalanced.Label.Classes.Select(c => $"{c.Value}:{c.Count}"));
        Assert.Equal(2, imbalanced.Label.MissingCount);
        Assert.Contains("label `single` has one class only (`only`): a classifier cannot learn from it", single.Warnings);
        Assert.Equal("label", Assert.Throws<InvalidArgumentException>(() => ProfileReport.Build(Guid.Empty, scan.Profile, "nope")).Field);
    }

    [Fact]
    public async Task Outliers_follow_the_iqr_rule()
    {
        // 1..20 and 100: Q1 = 6, Q3 = 16 (linear interpolation), IQR = 10, fences -9 and 31.
        var scan = await CsvAsync("x\n" + string.Join("\n", Enumerable.Range(1, 20).Append(100)) + "\n");

        var numeric = scan.Column("x").Numeric!;
        Assert.Equal((6, 16, -9, 31, 1L), (numeric.P25, numeric.P75, numeric.OutlierLow, numeric.OutlierHigh, numeric.OutlierCount));
    }

    [Fact]
    public void The_quantile_sketch_is_exact_for_small_inputs_and_close_for_large_ones()
    {
        var small = new QuantileSketch();
        foreach (var v in new double[] { 5, 1, 4, 2, 3 }) small.Add(v);
        Assert.Equal([1.2, 2, 3, 4, 4.8], small.Quantiles(0.05, 0.25, 0.5, 0.75, 0.95).Select(q => Math.Round(q, 9)));

        var large = new QuantileSketch();
        const int n = 1_000_000;
        // A shuffled permutation of 0..n-1: the true q-quantile is about q * n.
        for (long i = 0; i < n; i++) large.Add(i * 7919 % n);
        Assert.False(large.IsExact);
        var quantiles = large.Quantiles(0.05, 0.25, 0.5, 0.75, 0.95);
        foreach (var (q, value) in new[] { 0.05, 0.25, 0.5, 0.75, 0.95 }.Zip(quantiles))
            Assert.InRange(value, (q - 0.005) * n, (q + 0.005) * n);
        Assert.InRange(large.CountOutside(0.25 * n, 0.75 * n), 0.49 * n, 0.51 * n);
    }

    [Fact]
    public void The_distinct_counter_estimates_within_two_percent()
    {
        var counter = new DistinctCounter();
        for (var i = 0; i < 200_000; i++) counter.Add(DistinctCounter.Hash(i.ToString(CultureInfo.InvariantCulture)));
        for (var i = 0; i < 200_000; i++) counter.Add(DistinctCounter.Hash(i.ToString(CultureInfo.InvariantCulture)));

        Assert.InRange(counter.Estimate(), 196_000, 204_000);
    }

    [Fact]
    public async Task Past_ten_thousand_distinct_values_counts_become_estimates_and_frequent_values_survive()
    {
        var csv = new StringBuilder("v\n");
        for (var i = 0; i < 50_000; i++) csv.Append(i % 5 == 0 ? "common" : $"rare{i}").Append('\n');

        var column = (await CsvAsync(csv.ToString())).Column("v");

        Assert.False(column.DistinctExact);
        Assert.InRange(column.DistinctCount, 39_000, 41_000);
        Assert.False(column.TopValuesExact);
        Assert.Equal("common", column.TopValues[0].Value);
        Assert.Null(column.ValueCounts);
    }
}
