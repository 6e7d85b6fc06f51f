using System.Globalization;
using Parquet;
using Parquet.Schema;
using Platform.Training.Data;

namespace Platform.Training.Tests;

/// <summary>The same rows in the three formats the platform reads: the bundled CSVs rewritten as TSV and as Parquet.</summary>
internal static class DatasetFormats
{
    /// <summary>The CSV as TSV: same header, same fields (the bundled files have no quoted fields), tabs between them.</summary>
    public static DatasetFile ToTsv(DatasetFile csv, string folder)
    {
        var path = Path.Combine(folder, Path.GetFileNameWithoutExtension(csv.Path) + ".tsv");
        File.WriteAllLines(path, File.ReadAllLines(csv.Path).Where(l => l.Length > 0).Select(l => l.Replace(',', '\t')));
        return new DatasetFile(path, csv.Columns, DatasetFormat.Tsv);
    }

    /// <summary>
    /// The CSV as Parquet, written with Parquet.Net in row groups of <paramref name="rowGroupRows"/> rows: numeric
    /// columns as nullable float, the others as nullable strings; an empty CSV field becomes a null.
    /// </summary>
    public static async Task<DatasetFile> ToParquet(DatasetFile csv, string folder, int rowGroupRows = 100)
    {
        var rows = File.ReadAllLines(csv.Path).Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',')).ToArray();
        var fields = csv.Columns.Select(c => c.Kind == ColumnKind.Numeric
            ? new DataField(c.Name, typeof(float), isNullable: true)
            : new DataField(c.Name, typeof(string), isNullable: true)).ToArray();
        var path = Path.Combine(folder, Path.GetFileNameWithoutExtension(csv.Path) + ".parquet");
        await using (var stream = File.Create(path))
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), stream))
        {
            foreach (var chunk in rows.Chunk(rowGroupRows))
            {
                using var group = writer.CreateRowGroup();
                for (var i = 0; i < fields.Length; i++)
                {
                    var values = chunk.Select(r => r[i]).ToArray();
                    if (csv.Columns[i].Kind == ColumnKind.Numeric)
                        await group.WriteAsync<float>(fields[i], values.Select(v => v.Length == 0 ? (float?)null : float.Parse(v, CultureInfo.InvariantCulture)).ToArray(), null, null, default);
                    else
                        await group.WriteAsync(fields[i], values.Select(v => v.Length == 0 ? null : v).ToArray()!, null);
                }
            }
        }
        return new DatasetFile(path, csv.Columns, DatasetFormat.Parquet);
    }

    /// <summary>Writes a Parquet file of the given fields, one row group, each column's values as Parquet.Net takes them.</summary>
    public static async Task<string> WriteParquet(string path, params (DataField Field, Func<ParquetRowGroupWriter, DataField, Task> Write)[] columns)
    {
        await using var stream = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(columns.Select(c => (Field)c.Field).ToArray()), stream);
        using var group = writer.CreateRowGroup();
        foreach (var (field, write) in columns) await write(group, field);
        return path;
    }
}
