using System.Globalization;
using System.Text;
using Platform.ModelStore.Datasets;

namespace Platform.ModelStore.Tests.Datasets;

/// <summary>
/// Issue 15, defect 1: a 1.2 MB CSV of 10,000 columns, rejected at a ragged row, took the store from 133 to 515 MB
/// (four at once to 1.6 GB). Scanning and profiling now allocate within <c>ModelStore:Datasets:ProfileMemoryBytes</c>
/// whatever the width, and more columns than <c>ModelStore:Datasets:MaxColumns</c> are refused at the header. Measured
/// as the bytes the scan holds once every row is read (the managed heap after a full collection, the scanner alive) and,
/// for a refusal, as the bytes this thread allocated (CSV scans on the caller's thread). The heap is the whole
/// process's, so these tests run alone, after the others (on a loaded machine a parallel test's allocations made a
/// 2 MB limit look broken by 0.4 MB).
/// </summary>
[Collection(nameof(UploadMemoryTests))]
public sealed class UploadMemoryTests
{
    private static byte[] WideCsv(int columns, int rows, Func<int, int, string> value, bool raggedLastRow = false)
    {
        var text = new StringBuilder();
        text.AppendJoin(',', Enumerable.Range(0, columns).Select(c => $"c{c}")).Append('\n');
        for (var r = 0; r < rows; r++)
        {
            var width = raggedLastRow && r == rows - 1 ? columns - 1 : columns;
            text.AppendJoin(',', Enumerable.Range(0, width).Select(c => value(r, c))).Append('\n');
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static (long Allocated, long Held, Exception? Error) Scan(byte[] file, DatasetLimits? limits = null)
    {
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var scanner = DelimitedTextScanner.Csv(null, limits);
        long held = 0;
        Exception? error = null;
        try
        {
            for (var offset = 0; offset < file.Length; offset += 64 * 1024)
                scanner.Append(file.AsSpan(offset, Math.Min(64 * 1024, file.Length - offset)));
            held = GC.GetTotalMemory(forceFullCollection: true) - heapBefore;
            scanner.Complete();
        }
        catch (DatasetFormatException ex)
        {
            error = ex;
        }
        GC.KeepAlive(scanner);
        return (GC.GetAllocatedBytesForCurrentThread() - before, held, error);
    }

    [Fact]
    public void The_reported_file_of_10000_columns_is_refused_at_the_header_naming_the_limit_in_little_memory()
    {
        // The report's shape: 10,000 columns, about 1.2 MB, rejected at a ragged last row.
        var file = WideCsv(10_000, 40, (r, c) => ((r * 7 + c) % 100).ToString(CultureInfo.InvariantCulture), raggedLastRow: true);
        Assert.InRange(file.Length, 1_000_000, 1_500_000);

        var (allocated, _, error) = Scan(file);

        Assert.NotNull(error);
        Assert.Contains("more than 2000 columns", error.Message, StringComparison.Ordinal);
        Assert.Contains("ModelStore:Datasets:MaxColumns = 2000", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < 4 * 1024 * 1024, $"{allocated:N0} bytes allocated refusing the header");
    }

    [Fact]
    public void Profiling_the_widest_file_allowed_allocates_within_the_profile_memory_limit()
    {
        var limits = new DatasetLimits();
        // Every value distinct, half the columns numbers and half text, so every summary of every column fills up.
        var file = WideCsv(limits.MaxColumns, 300, (r, c) => c % 2 == 0
            ? (r * 1.5 + c).ToString(CultureInfo.InvariantCulture)
            : $"value {r} of column {c}");

        var (_, held, error) = Scan(file, limits);

        Assert.Null(error);
        Assert.True(held < limits.ProfileMemoryBytes, $"{held:N0} bytes held, the limit is {limits.ProfileMemoryBytes:N0}");
    }

    [Fact]
    public void A_smaller_profile_memory_limit_is_kept_on_a_file_with_many_distinct_values()
    {
        var limits = new DatasetLimits { MaxColumns = 100, ProfileMemoryBytes = 2 * 1024 * 1024 };
        // 100 columns of 3,000 distinct values each: far more than each column's share can count exactly.
        var file = WideCsv(100, 3_000, (r, c) => c % 2 == 0 ? (r + c * 0.25).ToString(CultureInfo.InvariantCulture) : $"v{r}-{c}");

        var (_, held, error) = Scan(file, limits);

        Assert.Null(error);
        Assert.True(held < limits.ProfileMemoryBytes, $"{held:N0} bytes held, the limit is {limits.ProfileMemoryBytes:N0}");
    }

    [Fact]
    public void More_rows_than_the_limit_are_refused_at_the_first_row_past_it_naming_the_limit()
    {
        var file = WideCsv(3, 11, (r, c) => (r + c).ToString(CultureInfo.InvariantCulture));

        var (_, _, error) = Scan(file, new DatasetLimits { MaxRows = 10 });

        Assert.NotNull(error);
        Assert.Equal("row 11 (line 12) is past the most rows a data set may have (ModelStore:Datasets:MaxRows = 10)", error.Message);
    }
}

/// <summary>Runs <see cref="UploadMemoryTests"/> alone: they measure the process's managed heap.</summary>
[CollectionDefinition(nameof(UploadMemoryTests), DisableParallelization = true)]
public sealed class UploadMemoryCollection;
