using Google.Protobuf.WellKnownTypes;
using Platform.Cli.Commands;

namespace Platform.Cli.Tests;

/// <summary>How <c>platformctl predict</c> turns --row pairs and CSV lines into request rows.</summary>
public sealed class PredictCommandTests
{
    private static readonly Dictionary<string, string> Schema = new(StringComparer.Ordinal)
    {
        ["Island"] = "String", ["Body Mass (g)"] = "Single", ["Code"] = "String", ["Flag"] = "Boolean",
    };

    [Fact]
    public void Repeated_row_options_start_a_new_row_where_a_column_repeats()
    {
        var rows = PredictCommand.RowsFromPairs(["Island=Biscoe", "Body Mass (g)=5200", "Island=Dream", "Body Mass (g)="], Schema);

        Assert.Equal(2, rows.Count);
        Assert.Equal("Biscoe", rows[0].Fields["Island"].StringValue);
        Assert.Equal(5200, rows[0].Fields["Body Mass (g)"].NumberValue);
        Assert.Equal("Dream", rows[1].Fields["Island"].StringValue);
        Assert.Equal(Value.KindOneofCase.NullValue, rows[1].Fields["Body Mass (g)"].KindCase);
    }

    [Fact]
    public void Values_follow_the_input_schema_and_without_it_numbers_are_numbers()
    {
        // A text column holding digits stays text when the schema says so; without a schema it reads as a number.
        Assert.Equal(Value.KindOneofCase.StringValue, PredictCommand.Typed("Code", "042", Schema).KindCase);
        Assert.Equal(Value.KindOneofCase.NumberValue, PredictCommand.Typed("Code", "042", null).KindCase);
        Assert.True(PredictCommand.Typed("Flag", "true", Schema).BoolValue);
        Assert.Equal("true", PredictCommand.Typed("Flag", "true", null).StringValue);
        Assert.Equal("a=b", PredictCommand.RowsFromPairs(["Island=a=b"], Schema)[0].Fields["Island"].StringValue);
    }

    [Fact]
    public void A_pair_without_an_equals_sign_is_an_error_naming_it()
    {
        var error = Assert.Throws<CliException>(() => PredictCommand.RowsFromPairs(["Island"], Schema));
        Assert.Contains("'Island' is not column=value", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Csv_fields_honour_quotes()
    {
        Assert.Equal(["a", "b,c", "say \"hi\"", ""], PredictCommand.CsvFields("a,\"b,c\",\"say \"\"hi\"\"\","));
    }

    [Fact]
    public async Task Predict_needs_rows_or_a_csv_file_but_not_both()
    {
        var run = await CliRun.InvokeAsync("predict", "penguins@production");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("--row col=value", run.Error + run.Out, StringComparison.Ordinal);
    }
}
