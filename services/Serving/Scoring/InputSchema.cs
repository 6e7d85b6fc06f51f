using System.Collections.Frozen;
using System.Globalization;
using Google.Protobuf.Collections;
using Google.Protobuf.WellKnownTypes;
using Platform.Contracts;
using Platform.ServiceDefaults.Errors;

namespace Platform.Serving.Scoring;

/// <summary>How a request gives a column's value.</summary>
internal enum InputType
{
    /// <summary>A JSON number (ML.NET Single, Double, Int32 or Int64); null or NaN for missing where the model fills it in.</summary>
    Number,
    /// <summary>A JSON string (ML.NET text: categorical, boolean, text and date columns); null or "" for missing.</summary>
    Text,
    /// <summary>A JSON true or false (an ML.NET Boolean column, which only uploaded models have).</summary>
    Boolean,
}

/// <summary>
/// One column of a model's input (its data loader's schema, in order).
/// </summary>
/// <param name="Index">The column's index in the input schema.</param>
/// <param name="Read">Whether the model reads it: every column but the label and the columns its preparation excluded. A request must give it.</param>
/// <param name="MissingAllowed">Numbers: whether the model fills in a missing value (its preparation replaces missing values in this column).</param>
/// <param name="Categories">One-hot encoded text columns: the categories the model was trained on; any other value is refused. Null: any value.</param>
internal sealed record InputColumn(int Index, string Name, InputType Type, bool Read, bool MissingAllowed, FrozenSet<string>? Categories);

/// <summary>
/// What a model accepts, and the check of a request's rows against it. A value is checked by the column's type; a
/// column the model reads must be present in every row; columns the model does not read are ignored (the label too).
/// Every failure is InvalidArgument naming the row and the column (<c>rows[3].bill_length_mm</c>); nothing is scored
/// unless every row passes.
/// </summary>
internal sealed class InputSchema(IReadOnlyList<InputColumn> columns)
{
    private const int CategoriesShown = 10;

    /// <summary>Every input column, in schema order.</summary>
    public IReadOnlyList<InputColumn> Columns { get; } = columns;

    /// <summary>The columns a request must give.</summary>
    public IReadOnlyList<InputColumn> Read { get; } = [.. columns.Where(c => c.Read)];

    /// <summary>Checks and converts the rows of a request.</summary>
    /// <exception cref="InvalidArgumentException">A row lacks a column, a value has the wrong type, an unknown category, a missing value the model cannot take.</exception>
    public ModelInput Parse(RepeatedField<Struct> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0) throw new InvalidArgumentException("rows", "at least one row is needed");
        var input = new ModelInput(rows.Count, Columns.Count);
        for (var row = 0; row < rows.Count; row++)
        {
            var fields = rows[row].Fields;
            // Columns the model does not read are passed as missing, so no request value can reach them.
            foreach (var column in Columns)
            {
                if (!column.Read)
                {
                    input.SetMissing(row, column);
                    continue;
                }
                if (!fields.TryGetValue(column.Name, out var value))
                    throw new InvalidArgumentException(Field(row, column), $"is missing: the model reads this column ({Describe(column)})");
                Set(input, row, column, value);
            }
        }
        return input;
    }

    private static void Set(ModelInput input, int row, InputColumn column, Value value)
    {
        switch (column.Type)
        {
            case InputType.Number:
                if (value.KindCase == Value.KindOneofCase.NumberValue && !double.IsNaN(value.NumberValue))
                {
                    if (double.IsInfinity(value.NumberValue))
                        throw new InvalidArgumentException(Field(row, column), "must be a finite number");
                    input.SetNumber(row, column, value.NumberValue);
                }
                else if (value.KindCase is Value.KindOneofCase.NullValue or Value.KindOneofCase.NumberValue)
                {
                    if (!column.MissingAllowed)
                        throw new InvalidArgumentException(Field(row, column),
                            "is missing (null or NaN), and this model has no fill-in for a missing value in this column: send a number");
                    input.SetNumber(row, column, double.NaN);
                }
                else throw WrongType(row, column, value);
                break;
            case InputType.Text:
                if (value.KindCase == Value.KindOneofCase.StringValue)
                {
                    var text = value.StringValue;
                    if (text.Length > 0 && column.Categories is { } known && !known.Contains(text))
                        throw new InvalidArgumentException(Field(row, column),
                            $"{Echo.Quote(text)} is not a category this model was trained on ({Categories(known)}); " +
                            "a one-hot encoded column refuses unknown categories (hash-encoded and text columns take any value)");
                    input.SetText(row, column, text);
                }
                else if (value.KindCase == Value.KindOneofCase.NullValue) input.SetMissing(row, column);
                else throw WrongType(row, column, value);
                break;
            case InputType.Boolean:
                if (value.KindCase != Value.KindOneofCase.BoolValue) throw WrongType(row, column, value);
                input.SetNumber(row, column, value.BoolValue ? 1 : 0);
                break;
        }
    }

    private static InvalidArgumentException WrongType(int row, InputColumn column, Value value) =>
        new(Field(row, column), $"must be {Describe(column)}, not {KindOf(value)}");

    private static string Field(int row, InputColumn column) =>
        string.Create(CultureInfo.InvariantCulture, $"rows[{row}].{column.Name}");

    private static string Describe(InputColumn column) => column.Type switch
    {
        InputType.Number => column.MissingAllowed ? "a number, or null when missing" : "a number",
        InputType.Text => "a string, or null when missing",
        _ => "true or false",
    };

    private static string KindOf(Value value) => value.KindCase switch
    {
        Value.KindOneofCase.NumberValue => "a number",
        Value.KindOneofCase.StringValue => "a string",
        Value.KindOneofCase.BoolValue => "a boolean",
        Value.KindOneofCase.NullValue => "null",
        Value.KindOneofCase.StructValue => "an object",
        Value.KindOneofCase.ListValue => "a list",
        _ => "nothing",
    };

    private static string Categories(FrozenSet<string> known)
    {
        var shown = known.Order(StringComparer.Ordinal).Take(CategoriesShown).Select(Echo.Quote);
        return $"one of {string.Join(", ", shown)}{(known.Count > CategoriesShown ? $" and {known.Count - CategoriesShown} more" : "")}";
    }
}

/// <summary>A request's rows as checked, by input column: numbers (NaN when missing) and texts (empty when missing).</summary>
internal sealed class ModelInput(int rows, int columns)
{
    private readonly double[] _numbers = new double[rows * columns];
    private readonly ReadOnlyMemory<char>[] _texts = new ReadOnlyMemory<char>[rows * columns];

    public int Rows { get; } = rows;

    public void SetNumber(int row, InputColumn column, double value) => _numbers[row * columns + column.Index] = value;

    public void SetText(int row, InputColumn column, string value) => _texts[row * columns + column.Index] = value.AsMemory();

    public void SetMissing(int row, InputColumn column)
    {
        _numbers[row * columns + column.Index] = double.NaN;
        _texts[row * columns + column.Index] = ReadOnlyMemory<char>.Empty;
    }

    /// <summary>Copies one row into an <see cref="InputRow"/>'s buffers.</summary>
    public void CopyRow(int row, double[] numbers, ReadOnlyMemory<char>[] texts)
    {
        Array.Copy(_numbers, row * columns, numbers, 0, columns);
        Array.Copy(_texts, row * columns, texts, 0, columns);
    }
}
