using System.CommandLine;
using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Platform.Cli.Output;
using Platform.Models.V1;
using Platform.Serving.V1;
using Spectre.Console;

namespace Platform.Cli.Commands;

/// <summary>
/// <c>predict &lt;reference&gt; --row col=value … | --csv file</c>: predictions from the serving API (docs/serving.md). Values
/// are typed by the version's input schema when the key may read it (models:read); a key that may only predict gets
/// the plain rule: a value that reads as a number is sent as one, an empty value as missing (null), any other as text.
/// </summary>
public static class PredictCommand
{
    /// <summary>Rows sent per call for a CSV file (the service takes up to 10,000 by default).</summary>
    public const int RowsPerRequest = 1000;

    public static Command Create(CommandRunner run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var reference = new Argument<string>("reference") { Description = "The model: name (the latest), name:version or name@alias" };
        var rows = new Option<string[]>("--row")
        {
            Description = "A row as column=value pairs, e.g. --row Island=Biscoe 'Body Mass (g)=5200'; repeat --row for more rows " +
                          "(a new row starts where a column repeats); an empty value is missing",
            HelpName = "col=value",
            AllowMultipleArgumentsPerToken = true,
            Arity = ArgumentArity.OneOrMore,
        };
        var csv = new Option<FileInfo?>("--csv") { Description = "A CSV file with a header row: every row is predicted", HelpName = "file" };
        var top = new Option<int>("--explain") { Description = "Also show the n features that pushed each prediction most (linear, GAM, tree models)", HelpName = "n" };
        var command = new Command("predict", "Predict rows with a registered model through the serving API") { reference, rows, csv, top };
        command.Validators.Add(result =>
        {
            var hasRows = result.GetValue(rows) is { Length: > 0 };
            if (hasRows == (result.GetValue(csv) is not null)) result.AddError("give the rows with --row col=value … or --csv file (one of the two)");
        });
        run.SetAction(command, async (parse, gateway, cancellationToken) =>
        {
            var model = parse.GetRequiredValue(reference);
            var types = await InputTypesAsync(gateway, model, cancellationToken);
            var file = parse.GetValue(csv);
            var parsed = file is not null ? ReadCsv(file, types) : RowsFromPairs(parse.GetValue(rows)!, types);
            var table = Tables.Create("Row", "Prediction", "Scores", "Explanation");
            PredictResponse? last = null;
            var requests = new List<string>();
            for (var offset = 0; offset < parsed.Count; offset += RowsPerRequest)
            {
                var request = new PredictRequest { Model = model, TopContributions = parse.GetValue(top) };
                request.Rows.AddRange(parsed.Skip(offset).Take(RowsPerRequest));
                last = await gateway.Predictions.PredictAsync(request, cancellationToken: cancellationToken);
                requests.Add(last.RequestId);
                for (var i = 0; i < last.Predictions.Count; i++) table.Row(offset + i, Answer(last.Predictions[i]), Scores(last.Predictions[i]), Explanation(last.Predictions[i]));
            }
            run.Terminal.Out.Write(table);
            run.Terminal.Out.WriteLine($"Answered by {last!.ModelName}:{last.Version} ({last.Task}); request id{(requests.Count > 1 ? "s" : "")} " +
                                       $"{string.Join(", ", requests)} (report true outcomes by it: docs/serving.md)");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The input schema's types by column, or null when the key may not read the version (then values are typed by their text).</summary>
    private static async Task<IReadOnlyDictionary<string, string>?> InputTypesAsync(GatewayConnection gateway, string model, CancellationToken cancellationToken)
    {
        try
        {
            var version = await gateway.Models.ResolveModelAsync(new ResolveModelRequest { Reference = model }, cancellationToken: cancellationToken);
            return version.InputSchema.Count == 0 ? null : version.InputSchema.ToDictionary(c => c.Name, c => c.Type, StringComparer.Ordinal);
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.PermissionDenied or StatusCode.Unimplemented)
        {
            return null;
        }
    }

    /// <summary>
    /// The --row pairs, <c>col=value</c> (the first '=' splits), in order; the options' tokens arrive as one list, so a new
    /// row starts where a column repeats.
    /// </summary>
    public static List<Struct> RowsFromPairs(IReadOnlyList<string> pairs, IReadOnlyDictionary<string, string>? types)
    {
        var rows = new List<Struct>();
        var row = new Struct();
        foreach (var pair in pairs)
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0) throw new CliException($"--row: '{pair}' is not column=value");
            var column = pair[..equals];
            if (row.Fields.ContainsKey(column))
            {
                rows.Add(row);
                row = new Struct();
            }
            row.Fields[column] = Typed(column, pair[(equals + 1)..], types);
        }
        if (row.Fields.Count > 0) rows.Add(row);
        return rows;
    }

    /// <summary>A value as the column's type asks: a number, true/false, text, or null for an empty value.</summary>
    public static Value Typed(string column, string text, IReadOnlyDictionary<string, string>? types)
    {
        if (text.Length == 0) return Value.ForNull();
        var type = types is not null && types.TryGetValue(column, out var t) ? t : null;
        if (type is "String") return Value.ForString(text);
        if (type is "Boolean" && bool.TryParse(text, out var flag)) return Value.ForBool(flag);
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)) return Value.ForNumber(number);
        return Value.ForString(text);
    }

    public static List<Struct> ReadCsv(FileInfo file, IReadOnlyDictionary<string, string>? types)
    {
        if (!file.Exists) throw new CliException($"{file.FullName} does not exist");
        using var reader = file.OpenText();
        var header = CsvFields(reader.ReadLine() ?? throw new CliException($"{file.FullName} is empty: a header row is needed"));
        var rows = new List<Struct>();
        var line = 1;
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (text.Length == 0) continue;
            var fields = CsvFields(text);
            if (fields.Count != header.Count)
                throw new CliException($"{file.Name} line {line}: {fields.Count} fields, the header has {header.Count}");
            var row = new Struct();
            for (var i = 0; i < header.Count; i++) row.Fields[header[i]] = Typed(header[i], fields[i], types);
            rows.Add(row);
        }
        if (rows.Count == 0) throw new CliException($"{file.FullName} has no rows under its header");
        return rows;
    }

    /// <summary>The fields of one CSV line: comma-separated, double quotes around a field that holds commas or quotes ("" for a quote).</summary>
    public static List<string> CsvFields(string line)
    {
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(c);
        }
        fields.Add(field.ToString());
        return fields;
    }

    private static string Answer(Prediction p) =>
        p.Label.Length > 0 ? p.Label
        : p.HasValue ? Formats.Metric(p.Value)
        : p.HasCluster ? $"cluster {p.Cluster}"
        : "";

    private static string Scores(Prediction p)
    {
        if (p.ClassScores.Count > 0)
            return string.Join(" ", p.ClassScores.OrderByDescending(s => s.Value).Take(3).Select(s => $"{s.Key}={Formats.Metric(s.Value)}"));
        if (p.HasProbability) return "probability=" + Formats.Metric(p.Probability);
        return p.HasScore ? "score=" + Formats.Metric(p.Score) : "";
    }

    private static string Explanation(Prediction p) =>
        string.Join(" ", p.Contributions.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Feature}{c.Contribution:+0.###;-0.###}")));
}
