using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Platform.Training.Evaluation;

/// <summary>
/// Scored rows to a file and back: how a fold that ran as a job of its own hands its predictions to the job that writes the
/// predictions file and the model card (<see cref="EvaluationSpec.ParallelFolds"/>). The values come back bit for bit, so
/// what is written from them is what the serial run writes.
/// </summary>
/// <remarks>
/// Format (little-endian, <see cref="BinaryWriter"/>): <c>PLSR</c>, version 1, rows, columns; per column its name and type
/// (a code, a key's count, a vector's size and item type); then the values column by column, row by row (a vector as its
/// length and its dense values, a text as a length-prefixed UTF-8 string). Annotations (slot names, key values) are not
/// kept: nothing that reads the rows back needs them.
/// </remarks>
public sealed partial class ScoredRows
{
    private static ReadOnlySpan<byte> Magic => "PLSR"u8;
    private const byte FormatVersion = 1;

    private ScoredRows(DataViewSchema schema, Column[] columns, int count)
    {
        Schema = schema;
        _columns = columns;
        _count = count;
        _blockRows = DefaultBlockRows;
        _published = count;
        _filling = 1;
    }

    /// <summary>Writes every row of the columns not in <paramref name="leaveOut"/>; the rows must be scored (<see cref="Fill"/>).</summary>
    public void Save(Stream output, IReadOnlySet<string> leaveOut)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(leaveOut);
        lock (_gate)
            if (_published < _count) throw new InvalidOperationException("The rows are not all scored.");
        var columns = _columns.Where(c => !leaveOut.Contains(c.Name)).ToArray();
        // Written through a buffer handed over in 64 KiB pieces: the values are a few bytes each.
        using var buffer = new MemoryStream();
        using var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true);
        void Drain(bool always)
        {
            writer.Flush();
            if (!always && buffer.Length < 1 << 16) return;
            output.Write(buffer.GetBuffer(), 0, checked((int)buffer.Length));
            buffer.SetLength(0);
        }
        writer.Write(Magic);
        writer.Write(FormatVersion);
        writer.Write(_count);
        writer.Write(columns.Length);
        foreach (var column in columns)
        {
            writer.Write(column.Name);
            WriteType(writer, column.Type);
        }
        foreach (var column in columns)
            for (var row = 0; row < _count; row++)
            {
                column.Write(writer, row);
                if ((row & 0xFFF) == 0xFFF) Drain(always: false);
            }
        Drain(always: true);
    }

    /// <summary>Reads rows <see cref="Save"/> wrote: a view of them, scored already.</summary>
    /// <exception cref="InvalidDataException">The stream does not hold scored rows of this format.</exception>
    public static ScoredRows Load(Stream input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var reader = new BinaryReader(input, Encoding.UTF8, leaveOpen: true);
        try
        {
            if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic) || reader.ReadByte() != FormatVersion)
                throw new InvalidDataException("Not a file of scored rows (version 1).");
            var count = reader.ReadInt32();
            var columnCount = reader.ReadInt32();
            if (count < 0 || columnCount is < 0 or > 1000) throw new InvalidDataException($"{count} rows of {columnCount} columns is not a plausible header.");
            var builder = new DataViewSchema.Builder();
            var columns = new Column[columnCount];
            for (var i = 0; i < columnCount; i++)
            {
                var name = reader.ReadString();
                var type = ReadType(reader);
                builder.AddColumn(name, type);
                columns[i] = Column.For(name, type, count);
            }
            foreach (var column in columns)
                for (var row = 0; row < count; row++)
                    column.Read(reader, row);
            if (input.CanSeek && input.Position != input.Length) throw new InvalidDataException("The file goes on after its last row.");
            return new ScoredRows(builder.ToSchema(), columns, count);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException("The file of scored rows ends early.", ex);
        }
    }

    private enum TypeCode : byte { Single = 1, Double = 2, Boolean = 3, UInt32 = 4, Key = 5, Text = 6, Vector = 7 }

    private static void WriteType(BinaryWriter writer, DataViewType type)
    {
        switch (type)
        {
            case VectorDataViewType vector:
                writer.Write((byte)TypeCode.Vector);
                writer.Write(vector.Size);
                WriteType(writer, vector.ItemType);
                break;
            case KeyDataViewType key when key.RawType == typeof(uint):
                writer.Write((byte)TypeCode.Key);
                writer.Write(key.Count);
                break;
            case TextDataViewType:
                writer.Write((byte)TypeCode.Text);
                break;
            case BooleanDataViewType:
                writer.Write((byte)TypeCode.Boolean);
                break;
            case NumberDataViewType number when number.RawType == typeof(float):
                writer.Write((byte)TypeCode.Single);
                break;
            case NumberDataViewType number when number.RawType == typeof(double):
                writer.Write((byte)TypeCode.Double);
                break;
            case NumberDataViewType number when number.RawType == typeof(uint):
                writer.Write((byte)TypeCode.UInt32);
                break;
            default:
                throw new NotSupportedException($"A scored column of type {type} cannot be saved.");
        }
    }

    private static DataViewType ReadType(BinaryReader reader) => (TypeCode)reader.ReadByte() switch
    {
        TypeCode.Single => NumberDataViewType.Single,
        TypeCode.Double => NumberDataViewType.Double,
        TypeCode.Boolean => BooleanDataViewType.Instance,
        TypeCode.UInt32 => NumberDataViewType.UInt32,
        TypeCode.Key => new KeyDataViewType(typeof(uint), reader.ReadUInt64()),
        TypeCode.Text => TextDataViewType.Instance,
        TypeCode.Vector => ReadVectorType(reader),
        var code => throw new InvalidDataException($"Unknown column type code {(byte)code}."),
    };

    private static VectorDataViewType ReadVectorType(BinaryReader reader)
    {
        var size = reader.ReadInt32();
        return ReadType(reader) is PrimitiveDataViewType item
            ? new VectorDataViewType(item, size)
            : throw new InvalidDataException("A vector's items must be of a primitive type.");
    }

    /// <summary>How one value of a scalar type is written: exactly, so a number read back has the same bits.</summary>
    private static class ScalarFormat<T>
    {
        public static void Write(BinaryWriter writer, T value)
        {
            if (typeof(T) == typeof(float)) writer.Write(Unsafe.As<T, float>(ref value));
            else if (typeof(T) == typeof(double)) writer.Write(Unsafe.As<T, double>(ref value));
            else if (typeof(T) == typeof(bool)) writer.Write(Unsafe.As<T, bool>(ref value));
            else if (typeof(T) == typeof(uint)) writer.Write(Unsafe.As<T, uint>(ref value));
            else throw new NotSupportedException($"A scored value of type {typeof(T).Name} cannot be saved.");
        }

        public static T Read(BinaryReader reader)
        {
            if (typeof(T) == typeof(float)) { var value = reader.ReadSingle(); return Unsafe.As<float, T>(ref value); }
            if (typeof(T) == typeof(double)) { var value = reader.ReadDouble(); return Unsafe.As<double, T>(ref value); }
            if (typeof(T) == typeof(bool)) { var value = reader.ReadBoolean(); return Unsafe.As<bool, T>(ref value); }
            if (typeof(T) == typeof(uint)) { var value = reader.ReadUInt32(); return Unsafe.As<uint, T>(ref value); }
            throw new NotSupportedException($"A scored value of type {typeof(T).Name} cannot be read.");
        }
    }
}
