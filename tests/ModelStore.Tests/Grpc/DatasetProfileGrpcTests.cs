using Microsoft.EntityFrameworkCore;
using Platform.Datasets.V1;
using Platform.Models.V1;
using Platform.ServiceDefaults.Errors;
using Platform.Testing.Grpc;
using static Platform.ModelStore.Tests.Datasets.DatasetTestFiles;

namespace Platform.ModelStore.Tests.Grpc;

/// <summary>Uploads in every format, overrides and GetDatasetProfile through the service class, on SQLite.</summary>
public sealed class DatasetProfileGrpcTests : IDisposable
{
    private readonly SqliteModelStore _store = new();

    public void Dispose() => _store.Dispose();

    private Task<Dataset> UploadAsync(IEnumerable<UploadDatasetRequest> messages, string tenant = "acme") =>
        _store.Datasets().UploadDataset(new TestAsyncStreamReader<UploadDatasetRequest>(messages), TestServerCallContext.ForTenant(tenant));

    private Task<Platform.Datasets.V1.DatasetProfile> ProfileAsync(string id, string label = "", string tenant = "acme") =>
        _store.Datasets().GetDatasetProfile(new GetDatasetProfileRequest { DatasetId = id, Label = label }, TestServerCallContext.ForTenant(tenant));

    private static List<UploadDatasetRequest> Upload(string name, byte[] bytes, DatasetFormat format, params (string Column, ColumnType Type)[] types)
    {
        var messages = Requests.Upload(name, bytes, chunkSize: 1000);
        messages[0].Header.Format = format;
        foreach (var (column, type) in types) messages[0].Header.ColumnTypes[column] = type;
        return messages;
    }

    private async Task AssertNothingStoredAsync()
    {
        await using var db = _store.NewDbContext();
        Assert.Equal(0, await db.Datasets.CountAsync());
        Assert.Equal(0, await db.DatasetProfiles.CountAsync());
        Assert.Equal(0, _store.BlobFileCount);
        Assert.Equal(0, _store.TempFileCount);
    }

    [Fact]
    public async Task The_profile_is_stored_at_upload_and_served_with_the_label_analysis()
    {
        var dataset = await UploadAsync(Requests.Upload("penguins.csv", Requests.Penguins()));

        var profile = await ProfileAsync(dataset.Id, label: "Sex");

        Assert.Equal(dataset.Id, profile.DatasetId);
        Assert.Equal(344, profile.RowCount);
        Assert.Equal(["Species:0", "Island:0", "Beak Length (mm):2", "Beak Depth (mm):2", "Flipper Length (mm):2", "Body Mass (g):2", "Sex:10"],
            profile.Columns.Select(c => $"{c.Name}:{c.MissingCount}"));
        Assert.Equal(dataset.Columns.Select(c => c.Type), profile.Columns.Select(c => c.Type));
        var flipper = profile.Columns.Single(c => c.Name == "Flipper Length (mm)");
        Assert.Equal((172, 231), (flipper.Numeric.Min, flipper.Numeric.Max));
        Assert.True(flipper.Numeric.QuantilesExact);
        Assert.Equal("Sex", profile.Label.Column);
        Assert.Equal(10, profile.Label.MissingCount);
        Assert.Equal(["MALE:168", "FEMALE:165", ".:1"], profile.Label.Classes.Select(c => $"{c.Value}:{c.Count}"));
        Assert.Equal("label `Sex` has 2.9% missing values: those 10 rows will be dropped by training", profile.Warnings[0]);

        await using var db = _store.NewDbContext();
        Assert.Equal(1, await db.DatasetProfiles.CountAsync());
    }

    [Fact]
    public async Task The_label_analysis_is_made_once_per_label_and_stored_with_the_profile()
    {
        var dataset = await UploadAsync(Upload("spam.csv", Sample("spam-assassin-sample.csv"), DatasetFormat.Csv));

        var first = await ProfileAsync(dataset.Id, label: "label");
        var second = await ProfileAsync(dataset.Id, label: "label");

        var leak = Assert.Single(first.WarningDetails, w => w.Kind == "likely_leak");
        Assert.Equal("group", leak.Column);
        Assert.Equal(first.WarningDetails, second.WarningDetails);
        await using var db = _store.NewDbContext();
        var stored = (await db.DatasetProfiles.SingleAsync()).Profile;
        Assert.Equal(["label"], stored.LabelAnalyses!.Keys);
        Assert.Equal(["subject", "body", "group"], stored.LabelAnalyses["label"].Columns.Select(c => c.Column));
        // Without a label there is nothing to leak: no analysis, no leak warning.
        Assert.DoesNotContain((await ProfileAsync(dataset.Id)).WarningDetails, w => w.Kind == "likely_leak");
    }

    [Fact]
    public async Task Sensitive_columns_are_marked_at_upload_or_later_and_their_values_leave_the_profile()
    {
        var messages = Requests.Upload("penguins.csv", Requests.Penguins());
        messages[0].Header.SensitiveColumns.Add("Island");
        var dataset = await UploadAsync(messages);
        Assert.Equal(["Island"], dataset.Columns.Where(c => c.Sensitive).Select(c => c.Name));

        var updated = await _store.Datasets().UpdateSensitiveColumns(
            new UpdateSensitiveColumnsRequest { DatasetId = dataset.Id, Sensitive = { "Sex" }, NotSensitive = { "Island" } }, TestServerCallContext.ForTenant("acme"));
        Assert.Equal(["Sex"], updated.Columns.Where(c => c.Sensitive).Select(c => c.Name));
        Assert.Equal(["Sex"], (await _store.Datasets().GetDataset(new GetDatasetRequest { DatasetId = dataset.Id }, TestServerCallContext.ForTenant("acme")))
            .Columns.Where(c => c.Sensitive).Select(c => c.Name));

        var profile = await ProfileAsync(dataset.Id, label: "Species");
        Assert.Empty(profile.Columns.Single(c => c.Name == "Sex").TopValues);
        Assert.NotEmpty(profile.Columns.Single(c => c.Name == "Island").TopValues);
        Assert.DoesNotContain(profile.Warnings, w => w.Contains("FEMALE", StringComparison.Ordinal));

        var unknown = await Assert.ThrowsAsync<InvalidArgumentException>(() => _store.Datasets().UpdateSensitiveColumns(
            new UpdateSensitiveColumnsRequest { DatasetId = dataset.Id, Sensitive = { "Sex", "sex " } }, TestServerCallContext.ForTenant("acme")));
        Assert.Equal("sensitive[1]", unknown.Field);
        await Assert.ThrowsAsync<NotFoundException>(() => _store.Datasets().UpdateSensitiveColumns(
            new UpdateSensitiveColumnsRequest { DatasetId = dataset.Id, Sensitive = { "Sex" } }, TestServerCallContext.ForTenant("other")));
        var badUpload = Requests.Upload("penguins.csv", Requests.Penguins());
        badUpload[0].Header.SensitiveColumns.Add("island");
        Assert.Equal("header.sensitive_columns", (await Assert.ThrowsAsync<InvalidArgumentException>(() => UploadAsync(badUpload))).Field);
    }

    [Fact]
    public async Task Penguins_sex_column_holds_a_dot_that_looks_like_a_missing_value()
    {
        var dataset = await UploadAsync(Requests.Upload("penguins.csv", Requests.Penguins()));

        var profile = await ProfileAsync(dataset.Id, label: "Species");

        var placeholder = Assert.Single(profile.WarningDetails, w => w.Kind == "placeholder_values");
        Assert.Equal("Sex", placeholder.Column);
        Assert.Contains("`.` (1)", placeholder.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Overrides_in_the_header_decide_the_stored_column_types()
    {
        var dataset = await UploadAsync(Upload("iris.csv", Sample("iris.csv"), DatasetFormat.Csv,
            ("petal_width", ColumnType.Categorical), ("species", ColumnType.Text)));

        Assert.Equal([ColumnType.Numeric, ColumnType.Numeric, ColumnType.Numeric, ColumnType.Categorical, ColumnType.Text],
            dataset.Columns.Select(c => c.Type));
        var profile = await ProfileAsync(dataset.Id);
        Assert.Equal(ColumnType.Categorical, profile.Columns[3].Type);
        Assert.Equal(22, profile.Columns[3].DistinctCount);
    }

    [Fact]
    public async Task Tsv_and_parquet_uploads_keep_their_format()
    {
        var tsv = await UploadAsync(Upload("a.tsv", Encoding.UTF8.GetBytes("a\tb\n1\tx\n2\ty\n"), DatasetFormat.Tsv));
        var parquet = await UploadAsync(Upload("a.parquet", await ParquetAsync(rows: 300, rowGroupSize: 100), DatasetFormat.Parquet));

        Assert.Equal((DatasetFormat.Tsv, 2L), (tsv.Format, tsv.RowCount));
        Assert.Equal((DatasetFormat.Parquet, 300L), (parquet.Format, parquet.RowCount));
        Assert.Equal([ColumnType.Numeric, ColumnType.Numeric, ColumnType.Boolean, ColumnType.Categorical, ColumnType.Date, ColumnType.Date],
            parquet.Columns.Select(c => c.Type));
        var profile = await ProfileAsync(parquet.Id, label: "flag");
        Assert.Equal(["false:200", "true:100"], profile.Label.Classes.Select(c => $"{c.Value}:{c.Count}"));
        Assert.Equal("2024-01-01T00:00:00Z", profile.Columns.Single(c => c.Name == "when").MinDate);
        Assert.Equal(parquet, await _store.Datasets().GetDataset(new GetDatasetRequest { DatasetId = parquet.Id }, TestServerCallContext.ForTenant("acme")));
    }

    public static TheoryData<string, string, string> BadUploads => new()
    {
        { "wrong field count", "content", "content: row 2 (line 3) has 1 field, the header has 2" },
        { "unterminated quote", "content", "content: row 1 (line 2), column 'b': a quoted field is not closed before the end of the file" },
        { "non-utf8", "content", "content: dataset is not UTF-8 text: invalid byte sequence at offset 4 (save the file as UTF-8)" },
        { "numeric override on text", "content", "content: row 2 (line 3), column 'b': 'abc' is not a number, but column_types sets the column to NUMERIC" },
        { "override of an unknown column", "header.column_types", "header.column_types: 'c' is not a column of the file (its columns: 'a', 'b')" },
        { "unspecified override", "header.column_types", "header.column_types: column 'a': Unspecified is not a column type" },
        { "empty file", "content", "content: dataset is empty" },
        { "header only", "content", "content: dataset has a header but no data rows" },
        { "duplicate column", "content", "content: the header (line 1): column 2 'a' has the same name as column 1" },
        { "empty column name", "content", "content: the header (line 1): column 2 has an empty name" },
        { "corrupt parquet", "content", "content: dataset is not a valid Parquet file: " },
        { "empty parquet", "content", "content: dataset is empty" },
        { "tsv ragged", "content", "content: row 1 (line 2) has 3 fields, the header has 2" },
    };

    [Theory]
    [MemberData(nameof(BadUploads))]
    public async Task A_bad_upload_names_column_row_and_rule_and_stores_nothing(string upload, string field, string message)
    {
        var messages = upload switch
        {
            "wrong field count" => Upload("a.csv", Encoding.UTF8.GetBytes("a,b\n1,2\n3\n"), DatasetFormat.Csv),
            "unterminated quote" => Upload("a.csv", Encoding.UTF8.GetBytes("a,b\n1,\"2\n"), DatasetFormat.Csv),
            "non-utf8" => Upload("a.csv", [(byte)'a', (byte)'\n', (byte)'x', (byte)'y', 0xFF, (byte)'\n'], DatasetFormat.Csv),
            "numeric override on text" => Upload("a.csv", Encoding.UTF8.GetBytes("a,b\n1,2\n3,abc\n"), DatasetFormat.Csv, ("b", ColumnType.Numeric)),
            "override of an unknown column" => Upload("a.csv", Encoding.UTF8.GetBytes("a,b\n1,2\n"), DatasetFormat.Csv, ("c", ColumnType.Numeric)),
            "unspecified override" => Upload("a.csv", Encoding.UTF8.GetBytes("a,b\n1,2\n"), DatasetFormat.Csv, ("a", ColumnType.Unspecified)),
            "empty file" => Upload("a.csv", [], DatasetFormat.Csv),
            "header only" => Upload("a.csv", Encoding.UTF8.GetBytes("a,b\n"), DatasetFormat.Csv),
            "duplicate column" => Upload("a.csv", Encoding.UTF8.GetBytes("a,a\n1,2\n"), DatasetFormat.Csv),
            "empty column name" => Upload("a.csv", Encoding.UTF8.GetBytes("a,\n1,2\n"), DatasetFormat.Csv),
            "corrupt parquet" => Upload("a.parquet", Requests.RandomBytes(10_000, seed: 5), DatasetFormat.Parquet),
            "empty parquet" => Upload("a.parquet", [], DatasetFormat.Parquet),
            _ => Upload("a.tsv", Encoding.UTF8.GetBytes("a\tb\n1\t2\t3\n"), DatasetFormat.Tsv),
        };

        var error = await Assert.ThrowsAsync<InvalidArgumentException>(() => UploadAsync(messages));

        Assert.Equal(field, error.Field);
        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task A_profile_is_scoped_to_the_tenant_and_its_label_must_be_a_column()
    {
        var dataset = await UploadAsync(Requests.Upload("penguins.csv", Requests.Penguins()));

        await Assert.ThrowsAsync<NotFoundException>(() => ProfileAsync(dataset.Id, tenant: "other"));
        await Assert.ThrowsAsync<NotFoundException>(() => ProfileAsync(Guid.NewGuid().ToString()));
        Assert.Equal("dataset_id", (await Assert.ThrowsAsync<InvalidArgumentException>(() => ProfileAsync("nope"))).Field);
        var label = await Assert.ThrowsAsync<InvalidArgumentException>(() => ProfileAsync(dataset.Id, label: "species"));
        Assert.Equal("label", label.Field);
        Assert.Contains("'species' is not a column", label.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dataset_stored_before_profiles_existed_is_profiled_on_first_request_and_stored()
    {
        var dataset = await UploadAsync(Requests.Upload("penguins.csv", Requests.Penguins()));
        await using (var db = _store.NewDbContext())
            await db.DatasetProfiles.ExecuteDeleteAsync();

        var profile = await ProfileAsync(dataset.Id, label: "Species");

        Assert.Equal(344, profile.RowCount);
        Assert.Equal(3, profile.Label.Classes.Count);
        await using var check = _store.NewDbContext();
        Assert.Equal(1, await check.DatasetProfiles.CountAsync());
    }

    [Fact]
    public async Task Erasing_a_dataset_erases_its_profile()
    {
        var dataset = await UploadAsync(Requests.Upload("penguins.csv", Requests.Penguins()));

        await _store.Models().EraseDataset(
            new EraseDatasetRequest { DatasetId = dataset.Id, Actor = "dpo@example.com", RequestReference = "GDPR-1" },
            TestServerCallContext.ForTenant("acme"));

        await using var db = _store.NewDbContext();
        Assert.Equal(0, await db.DatasetProfiles.CountAsync());
    }
}
