using System.Buffers;
using System.Globalization;
using System.Text;

namespace Platform.Training.Data;

/// <summary>
/// Writes the platform's CSV (<see cref="CsvFormat"/>) straight to UTF-8 bytes: fields are encoded and numbers
/// formatted into one buffer (no string per value), which is flushed to the stream when it fills. Fields are quoted
/// where <see cref="CsvFormat.NeedsQuotes"/> says (RFC 4180, quotes doubled) and always when they are neutralised
/// (<see cref="CsvFormat.StartsFormula"/>), numbers are <c>ToString("R", InvariantCulture)</c>'s
/// text, the bytes UTF-8 without a BOM, rows ended by <c>\n</c>.
/// </summary>
internal sealed class CsvWriter(Stream output) : IDisposable
{
    private const int BufferSize = 64 * 1024;
    // Room for the longest number this writer formats, so a number never straddles a flush.
    private const int NumberRoom = 64;
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
    private int _used;
    private bool _fieldWritten;

    /// <summary>
    /// One text field, quoted when a reader would otherwise split or trim it, with a leading <c>'</c> when a spreadsheet
    /// would take it for a formula (<see cref="CsvFormat.StartsFormula"/>); a separator goes before every field but a
    /// row's first.
    /// </summary>
    public void Field(ReadOnlySpan<char> value)
    {
        Separate();
        var formula = CsvFormat.StartsFormula(value);
        if (!formula && !CsvFormat.NeedsQuotes(value))
        {
            Encode(value);
            return;
        }
        Byte((byte)'"');
        if (formula) Byte((byte)'\'');
        while (value.Length > 0)
        {
            var quote = value.IndexOf('"');
            var end = quote < 0 ? value.Length : quote + 1;
            Encode(value[..end]);
            if (quote >= 0) Byte((byte)'"'); // a quote inside is doubled
            value = value[end..];
        }
        Byte((byte)'"');
    }

    /// <summary>A number with round-trip precision in invariant culture; NaN (missing) as an empty field.</summary>
    public void Number(float value)
    {
        Separate();
        if (float.IsNaN(value)) return;
        Reserve(NumberRoom);
        if (!value.TryFormat(_buffer.AsSpan(_used), out var written, "R", CultureInfo.InvariantCulture))
            throw new InvalidOperationException($"{value.ToString("R", CultureInfo.InvariantCulture)} does not fit in {NumberRoom} bytes.");
        _used += written;
    }

    public void Number(long value)
    {
        Separate();
        Reserve(NumberRoom);
        if (!value.TryFormat(_buffer.AsSpan(_used), out var written, default, CultureInfo.InvariantCulture))
            throw new InvalidOperationException($"{value} does not fit in {NumberRoom} bytes.");
        _used += written;
    }

    /// <summary>Ends the row.</summary>
    public void EndRow()
    {
        Byte((byte)'\n');
        _fieldWritten = false;
    }

    /// <summary>Writes what is buffered to the stream.</summary>
    public void Flush()
    {
        if (_used == 0) return;
        output.Write(_buffer, 0, _used);
        _used = 0;
    }

    public void Dispose()
    {
        if (_buffer.Length == 0) return;
        Flush();
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private void Separate()
    {
        if (_fieldWritten) Byte((byte)CsvFormat.Separator);
        _fieldWritten = true;
    }

    private void Byte(byte value)
    {
        Reserve(1);
        _buffer[_used++] = value;
    }

    private void Encode(ReadOnlySpan<char> text)
    {
        // A long text goes in pieces that fit the buffer, never splitting a surrogate pair.
        while (text.Length > 0)
        {
            var take = Math.Min(text.Length, BufferSize / 3);
            if (take < text.Length && char.IsHighSurrogate(text[take - 1])) take--;
            Reserve(Utf8.GetMaxByteCount(take));
            _used += Utf8.GetBytes(text[..take], _buffer.AsSpan(_used));
            text = text[take..];
        }
    }

    private void Reserve(int bytes)
    {
        if (_buffer.Length - _used < bytes) Flush();
    }
}
