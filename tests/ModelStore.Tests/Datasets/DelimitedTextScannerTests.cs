namespace Platform.ModelStore.Tests.Datasets;

public sealed class DelimitedTextScannerTests
{
    private static DatasetScan Scan(string csv, int chunkSize = 64 * 1024) => Scan(Encoding.UTF8.GetBytes(csv), chunkSize);

    private static DatasetScan Scan(byte[] bytes, int chunkSize = 64 * 1024)
    {
        var scanner = DelimitedTextScanner.Csv();
        for (var offset = 0; offset < bytes.Length; offset += chunkSize)
            scanner.Append(bytes.AsSpan(offset, Math.Min(chunkSize, bytes.Length - offset)));
        return scanner.Complete();
    }

    private static DatasetFormatException ScanError(string csv) => ScanError(Encoding.UTF8.GetBytes(csv));

    private static DatasetFormatException ScanError(byte[] bytes) => Assert.Throws<DatasetFormatException>(() => Scan(bytes));

    private static DatasetColumn Column(DatasetScan profile, string name) => profile.Columns.Single(c => c.Name == name);

    [Fact]
    public void Reads_column_names_in_file_order_and_counts_data_rows()
    {
        var profile = Scan("a,b,c\n1,x,true\n2,y,false\n");

        Assert.Equal(["a", "b", "c"], profile.Columns.Select(c => c.Name));
        Assert.Equal(2, profile.RowCount);
    }

    [Fact]
    public void Infers_numeric_boolean_and_categorical_columns()
    {
        var profile = Scan("""
            int,real,exponent,signed,flag,text,mixed,zero_one
            1,1.5,1e3,-2,true,red,1,0
            2,-0.25,2.5E-4,+3,FALSE,green,two,1
            3,.5,7,0,True,blue,3,1
            """);

        Assert.All(new[] { "int", "real", "exponent", "signed", "zero_one" },
            name => Assert.Equal(DatasetColumnType.Numeric, Column(profile, name).Type));
        Assert.Equal(DatasetColumnType.Boolean, Column(profile, "flag").Type);
        Assert.Equal(DatasetColumnType.Categorical, Column(profile, "text").Type);
        Assert.Equal(DatasetColumnType.Categorical, Column(profile, "mixed").Type);
    }

    [Fact]
    public void Numbers_are_read_with_the_invariant_culture()
    {
        // A decimal comma or a thousands separator is not a number to the trainer either.
        var profile = Scan("comma,thousands\n\"1,5\",\"1,000\"\n\"2,5\",\"2,000\"\n");

        Assert.Equal(DatasetColumnType.Categorical, Column(profile, "comma").Type);
        Assert.Equal(DatasetColumnType.Categorical, Column(profile, "thousands").Type);
    }

    [Fact]
    public void Empty_fields_are_missing_values_and_do_not_decide_the_type()
    {
        var profile = Scan("x,y,z,all_missing\n1,,a,\n,true,,\n3,false,\"\",\n");

        Assert.Equal(new DatasetColumn("x", DatasetColumnType.Numeric, 1), Column(profile, "x"));
        Assert.Equal(new DatasetColumn("y", DatasetColumnType.Boolean, 1), Column(profile, "y"));
        Assert.Equal(new DatasetColumn("z", DatasetColumnType.Categorical, 2), Column(profile, "z"));
        // No value says otherwise, so a column of nothing but gaps is numeric (all NaN to the trainer).
        Assert.Equal(new DatasetColumn("all_missing", DatasetColumnType.Numeric, 3), Column(profile, "all_missing"));
    }

    [Fact]
    public void Quoted_fields_may_hold_commas_escaped_quotes_and_line_breaks()
    {
        const string csv = "id,text,n\r\n"
                           + "1,\"hello, world\",1\r\n"
                           + "2,\"she said \"\"hi\"\"\",2\r\n"
                           + "3,\"two\nlines\",3\r\n"
                           + "4,\"three\r\nlines\r\nhere\",4\r\n"
                           + "5,\"\"\"\",5\r\n";

        var profile = Scan(csv);

        Assert.Equal(5, profile.RowCount);
        Assert.Equal(DatasetColumnType.Categorical, Column(profile, "text").Type);
        Assert.Equal(DatasetColumnType.Numeric, Column(profile, "n").Type);
        Assert.Equal(0, Column(profile, "text").MissingCount);
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    [InlineData("\r")]
    public void Any_line_ending_ends_a_record(string newline)
    {
        var csv = string.Join(newline, "a,b", "1,2", "3,4", "5,6") + newline;

        var profile = Scan(csv);

        Assert.Equal(3, profile.RowCount);
        Assert.All(profile.Columns, c => Assert.Equal(DatasetColumnType.Numeric, c.Type));
    }

    [Fact]
    public void The_last_record_needs_no_line_break()
    {
        Assert.Equal(2, Scan("a,b\n1,2\n3,4").RowCount);
        Assert.Equal(1, Column(Scan("a,b\n1,2\n3,"), "b").MissingCount);
        Assert.Equal(2, Scan("a,b\n1,2\n3,\"4\"").RowCount);
    }

    [Fact]
    public void Lines_with_nothing_on_them_are_skipped()
    {
        var profile = Scan("\na,b\n\n1,2\r\n\r\n3,4\n\n\n");

        Assert.Equal(2, profile.RowCount);
        Assert.Equal(["a", "b"], profile.Columns.Select(c => c.Name));
    }

    [Fact]
    public void A_quote_inside_an_unquoted_field_is_data()
    {
        var profile = Scan("height,name\n5'6\",a\"b\n");

        Assert.Equal(1, profile.RowCount);
        Assert.Equal(DatasetColumnType.Categorical, Column(profile, "height").Type);
    }

    [Fact]
    public void A_leading_byte_order_mark_is_not_part_of_the_first_column_name()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes("Species,Mass\nAdelie,3750\n")).ToArray();

        Assert.Equal("Species", Scan(bytes).Columns[0].Name);
    }

    [Fact]
    public void Non_ascii_text_is_read_as_utf8()
    {
        var profile = Scan("stadt,größe\nKöln,1\nZürich,2\n東京,3\n");

        Assert.Equal(["stadt", "größe"], profile.Columns.Select(c => c.Name));
        Assert.Equal(3, profile.RowCount);
    }

    [Fact]
    public void The_result_does_not_depend_on_where_chunks_split_the_file()
    {
        // Splits land inside CRLF pairs, escaped quotes, multi-byte characters and the byte-order mark.
        var bytes = Encoding.UTF8.GetPreamble()
            .Concat(Encoding.UTF8.GetBytes("név,\"a,b\",flag\r\nÁrvíztűrő,\"x\"\"y\r\nz\",true\r\n\r\n東京,,FALSE\r\n,\"\",\r\n"))
            .ToArray();
        var expected = Scan(bytes);

        for (var chunkSize = 1; chunkSize <= bytes.Length; chunkSize++)
            Assert.Equal(Describe(expected), Describe(Scan(bytes, chunkSize)));

        Assert.Equal(3, expected.RowCount);
        Assert.Equal(["név", "a,b", "flag"], expected.Columns.Select(c => c.Name));
    }

    [Fact]
    public void Profiles_penguins_exactly()
    {
        var bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "data", "penguins.csv"));

        var profile = Scan(bytes, chunkSize: 1000);

        // Independent count: penguins.csv has no quoted fields, so splitting lines on commas is exact.
        var lines = Encoding.UTF8.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0].Split(',');
        var rows = lines.Skip(1).Select(line => line.Split(',')).ToList();
        Assert.Equal(header, profile.Columns.Select(c => c.Name));
        Assert.Equal(rows.Count, profile.RowCount);
        for (var i = 0; i < header.Length; i++)
            Assert.Equal(rows.Count(r => r[i].Length == 0), profile.Columns[i].MissingCount);

        // The published facts about the data set (samples/data/README.md).
        Assert.Equal(344, profile.RowCount);
        Assert.Equal(
            [
                new("Species", DatasetColumnType.Categorical, 0),
                new("Island", DatasetColumnType.Categorical, 0),
                new("Beak Length (mm)", DatasetColumnType.Numeric, 2),
                new("Beak Depth (mm)", DatasetColumnType.Numeric, 2),
                new("Flipper Length (mm)", DatasetColumnType.Numeric, 2),
                new("Body Mass (g)", DatasetColumnType.Numeric, 2),
                new DatasetColumn("Sex", DatasetColumnType.Categorical, 10),
            ],
            profile.Columns);
    }

    [Fact]
    public void Profiles_iris()
    {
        var profile = Scan(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "data", "iris.csv")));

        Assert.Equal(150, profile.RowCount);
        Assert.Equal(DatasetColumnType.Categorical, profile.Columns[^1].Type);
        Assert.All(profile.Columns.SkipLast(1), c => Assert.Equal(DatasetColumnType.Numeric, c.Type));
    }

    [Fact]
    public void Scanning_keeps_memory_flat_however_large_the_file()
    {
        // 32 MiB of rows, with one 4 MiB quoted field among them: a scanner that buffered the file or a field
        // would allocate at least that much (the field alone is 8 MiB as characters). What it does allocate is each
        // column's fixed-size summaries (a quantile sketch of about 3 x 8192 numbers in growing lists, 16 KiB distinct
        // counters), whatever the file's size.
        var row = Encoding.UTF8.GetBytes("12345,67.89,true,some category text\n");
        var chunk = new byte[64 * 1024];
        var scanner = DelimitedTextScanner.Csv();
        scanner.Append(Encoding.UTF8.GetBytes("a,b,c,d\n"));
        scanner.Append(Encoding.UTF8.GetBytes("1,2,true,\""));

        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var filler = new byte[64 * 1024];
        Array.Fill(filler, (byte)'x');
        for (var i = 0; i < 64; i++) scanner.Append(filler);
        scanner.Append("\"\n"u8);
        long written = 0;
        while (written < 32L * 1024 * 1024)
        {
            var length = 0;
            while (length + row.Length <= chunk.Length)
            {
                row.CopyTo(chunk, length);
                length += row.Length;
            }
            scanner.Append(chunk.AsSpan(0, length));
            written += length;
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        var profile = scanner.Complete();

        Assert.True(allocated < 6 * 1024 * 1024, $"scanning allocated {allocated} bytes");
        Assert.Equal(1 + written / row.Length, profile.RowCount);
        Assert.Equal(DatasetColumnType.Categorical, profile.Columns[3].Type);
    }

    [Fact]
    public void A_long_value_is_categorical_without_being_kept()
    {
        var longNumber = new string('1', 10_000);

        var profile = Scan($"x\n{longNumber}\n2\n");

        Assert.Equal(DatasetColumnType.Categorical, profile.Columns[0].Type);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n\r\n")]
    public void An_empty_file_is_rejected(string csv)
    {
        Assert.Equal("dataset is empty", ScanError(csv).Message);
    }

    [Fact]
    public void A_header_without_data_rows_is_rejected()
    {
        Assert.Equal("dataset has a header but no data rows", ScanError("a,b,c\n").Message);
        Assert.Equal("dataset has a header but no data rows", ScanError("a,b,c").Message);
    }

    [Fact]
    public void A_row_with_the_wrong_number_of_fields_is_named_with_its_line()
    {
        var error = ScanError("a,b,c\n1,2,3\n\"multi\nline\",2,3\n4,5\n6,7,8\n");

        Assert.Equal("row 3 (line 5) has 2 fields, the header has 3", error.Message);
        Assert.Equal(3, error.Row);
        Assert.Equal(5, error.Line);
        Assert.Equal("row 1 (line 2) has 4 fields, the header has 3", ScanError("a,b,c\n1,2,3,4\n").Message);
        Assert.Equal("row 1 (line 2) has 1 field, the header has 3", ScanError("a,b,c\n1\n").Message);
    }

    [Fact]
    public void An_unterminated_quote_is_named_with_its_row_and_column()
    {
        var error = ScanError("a,b\n1,2\n3,\"four\n5,6\n");

        Assert.Equal("row 2 (line 3), column 'b': a quoted field is not closed before the end of the file", error.Message);
    }

    [Fact]
    public void Text_after_a_closing_quote_is_rejected()
    {
        var error = ScanError("a,b\n1,\"two\"x\n");

        Assert.StartsWith("row 1 (line 2), column 'b': unexpected character 'x' after a closing quote", error.Message);
    }

    [Fact]
    public void Duplicate_column_names_are_rejected()
    {
        Assert.Equal("the header (line 1): column 3 'a' has the same name as column 1", ScanError("a,b,a\n1,2,3\n").Message);
    }

    [Theory]
    [InlineData("a,,c\n1,2,3\n", "the header (line 1): column 2 has an empty name")]
    [InlineData("a,b,\n1,2,3\n", "the header (line 1): column 3 has an empty name")]
    [InlineData("a,\"  \"\n1,2\n", "the header (line 1): column 2 has an empty name")]
    public void Empty_column_names_are_rejected(string csv, string message)
    {
        Assert.Equal(message, ScanError(csv).Message);
    }

    [Fact]
    public void An_overlong_column_name_is_rejected()
    {
        var name = new string('n', DelimitedTextScanner.MaxColumnNameLength + 1);

        Assert.Equal($"the header (line 1): column 1 has a name longer than {DelimitedTextScanner.MaxColumnNameLength} characters",
            ScanError($"{name}\n1\n").Message);
    }

    [Fact]
    public void Bytes_that_are_not_utf8_are_rejected_with_their_offset()
    {
        // "café" in Latin-1: é is the single byte 0xE9.
        var latin1 = "name\ncaf"u8.ToArray().Concat(new byte[] { 0xE9, (byte)'\n' }).ToArray();

        Assert.Equal("dataset is not UTF-8 text: invalid byte sequence at offset 8 (save the file as UTF-8)", ScanError(latin1).Message);
    }

    [Fact]
    public void A_file_cut_inside_a_multibyte_character_is_not_utf8()
    {
        var bytes = Encoding.UTF8.GetBytes("a\né\n");

        var error = ScanError(bytes[..^2]);

        Assert.StartsWith("dataset is not UTF-8 text", error.Message);
    }

    [Theory]
    [InlineData(new byte[] { 0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00 }, 5)] // a zip (xlsx)
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D }, 8)] // a PNG
    [InlineData(new byte[] { 0x50, 0x41, 0x52, 0x31, 0x15, 0x04, 0x15, 0x00 }, 7)] // Parquet
    [InlineData(new byte[] { 0x61, 0x2C, 0x62, 0x0A, 0x31, 0x00, 0x32, 0x0A }, 5)] // a NUL in text
    public void Binary_data_is_not_csv(byte[] bytes, int offset)
    {
        Assert.Equal($"dataset is not CSV: it contains binary data (a NUL byte at offset {offset})", ScanError(bytes).Message);
    }

    [Fact]
    public void Binary_data_is_found_past_the_first_chunk()
    {
        var bytes = Encoding.UTF8.GetBytes("a,b\n1,2\n3,4\n");
        bytes[^3] = 0;

        Assert.Equal($"dataset is not CSV: it contains binary data (a NUL byte at offset {bytes.Length - 3})",
            Assert.Throws<DatasetFormatException>(() => Scan(bytes, chunkSize: 4)).Message);
    }

    [Fact]
    public void Control_characters_that_occur_in_real_text_are_data()
    {
        // Mail bodies carry ESC sequences and stray DC3/DC4 bytes (the SpamAssassin corpus does).
        var profile = Scan("a,text\n1\t2,\"this \u0013C\u0014 statement\"\n3,\u001b[0m\n");

        Assert.Equal(2, profile.RowCount);
        Assert.Equal(DatasetColumnType.Categorical, profile.Columns[0].Type);
    }

    private static string Describe(DatasetScan profile) =>
        $"{profile.RowCount}: " + string.Join("; ", profile.Columns.Select(c => $"{c.Name}/{c.Type}/{c.MissingCount}"));
}
