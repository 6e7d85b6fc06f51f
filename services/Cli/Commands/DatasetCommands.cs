using System.CommandLine;
using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Platform.Cli.Output;
using Platform.Datasets.V1;
using Spectre.Console;

namespace Platform.Cli.Commands;

/// <summary><c>datasets upload | list | show | profile | sensitive</c>.</summary>
public static class DatasetCommands
{
    /// <summary>Upload chunk size: the platform's own (<see cref="GatewayConnection.ChunkBytes"/>, 1 MiB).</summary>
    public const int ChunkSize = GatewayConnection.ChunkBytes;

    public static Command Create(CommandRunner run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return new Command("datasets", "Upload and inspect data sets")
        {
            Upload(run),
            List(run),
            Show(run),
            Profile(run),
            Sensitive(run),
        };
    }

    private static Command Upload(CommandRunner run)
    {
        var file = new Argument<FileInfo>("file") { Description = "CSV or TSV file with a header row, or a Parquet file" }.AcceptExistingOnly();
        var name = new Option<string?>("--name") { Description = "Name of the data set (default: the file name)" };
        var format = new Option<string?>("--format")
        {
            Description = "csv, tsv or parquet (default: from the file's extension; .tsv/.tab is TSV, .parquet is Parquet, anything else CSV)",
        };
        format.AcceptOnlyFromAmong("csv", "tsv", "parquet");
        var types = new Option<string[]>("--type")
        {
            Description = "Set a column's type instead of inferring it: COLUMN=numeric|categorical|boolean|text|date (repeatable)",
            AllowMultipleArgumentsPerToken = false,
        };
        var sensitive = new Option<string[]>("--sensitive")
        {
            Description = "Mark a column sensitive: not trained on unless a job opts in, values never shown (repeatable)",
            AllowMultipleArgumentsPerToken = false,
        };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only the new data set's id" };
        var command = new Command("upload", "Upload a CSV, TSV or Parquet file as a new data set") { file, name, format, types, sensitive, quiet };
        run.SetAction(command, async (parse, gateway, cancellationToken) =>
        {
            var path = parse.GetRequiredValue(file);
            var header = new UploadDatasetHeader
            {
                Name = parse.GetValue(name) ?? path.Name,
                Format = FormatOf(parse.GetValue(format), path),
                ColumnTypes = { ParseTypes(parse.GetValue(types) ?? []) },
                SensitiveColumns = { parse.GetValue(sensitive) ?? [] },
            };
            var dataset = await UploadAsync(run.Terminal, gateway, path, header, !parse.GetValue(quiet), cancellationToken);
            if (parse.GetValue(quiet))
                run.Terminal.Out.WriteLine(dataset.Id);
            else
                Print(run.Terminal.Out, dataset);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command List(CommandRunner run)
    {
        var command = new Command("list", "List the tenant's data sets, newest first");
        run.SetAction(command, async (_, gateway, cancellationToken) =>
        {
            var datasets = await Tables.AllPagesAsync<Dataset>(async token =>
            {
                var page = await gateway.Datasets.ListDatasetsAsync(new ListDatasetsRequest { PageToken = token }, cancellationToken: cancellationToken);
                return (page.Datasets, page.NextPageToken);
            });
            var table = Tables.Create("Id", "Name", "Rows", "Columns", "Size", "Created");
            foreach (var d in datasets) table.Row(d.Id, d.Name, d.RowCount, d.Columns.Count, Formats.Size(d.SizeBytes), Formats.Time(d.CreatedAt));
            run.Terminal.Out.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Show(CommandRunner run)
    {
        var id = new Argument<string>("id") { Description = "Data set id" };
        var command = new Command("show", "Show a data set and its columns") { id };
        run.SetAction(command, async (parse, gateway, cancellationToken) =>
        {
            var dataset = await gateway.Datasets.GetDatasetAsync(new GetDatasetRequest { DatasetId = parse.GetRequiredValue(id) }, cancellationToken: cancellationToken);
            Print(run.Terminal.Out, dataset);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Profile(CommandRunner run)
    {
        var id = new Argument<string>("id") { Description = "Data set id" };
        var label = new Option<string?>("--label") { Description = "Also describe this column as the training label: classes, imbalance, rows dropped" };
        var command = new Command("profile", "Show a data set's profile: per-column statistics, top values and warnings") { id, label };
        run.SetAction(command, async (parse, gateway, cancellationToken) =>
        {
            var profile = await gateway.Datasets.GetDatasetProfileAsync(
                new GetDatasetProfileRequest { DatasetId = parse.GetRequiredValue(id), Label = parse.GetValue(label) ?? "" },
                cancellationToken: cancellationToken);
            DatasetProfileReport.Print(run.Terminal.Out, profile);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Sensitive(CommandRunner run)
    {
        var id = new Argument<string>("id") { Description = "Data set id" };
        var mark = new Option<string[]>("--mark") { Description = "Column to mark sensitive (repeatable)", AllowMultipleArgumentsPerToken = false };
        var unmark = new Option<string[]>("--unmark") { Description = "Column no longer sensitive (repeatable)", AllowMultipleArgumentsPerToken = false };
        var command = new Command("sensitive", "Mark columns sensitive (not trained on unless a job opts in, values never shown), or unmark them") { id, mark, unmark };
        run.SetAction(command, async (parse, gateway, cancellationToken) =>
        {
            var dataset = await gateway.Datasets.UpdateSensitiveColumnsAsync(new UpdateSensitiveColumnsRequest
            {
                DatasetId = parse.GetRequiredValue(id),
                Sensitive = { parse.GetValue(mark) ?? [] },
                NotSensitive = { parse.GetValue(unmark) ?? [] },
            }, cancellationToken: cancellationToken);
            Print(run.Terminal.Out, dataset);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The format named, or the one the file's extension implies.</summary>
    public static DatasetFormat FormatOf(string? format, FileInfo file) =>
        (format ?? Path.GetExtension(file.Name).TrimStart('.').ToLowerInvariant()) switch
        {
            "tsv" or "tab" => DatasetFormat.Tsv,
            "parquet" => DatasetFormat.Parquet,
            _ => DatasetFormat.Csv,
        };

    /// <summary><c>COLUMN=TYPE</c> pairs; the column name may itself hold '=' (the last one splits).</summary>
    public static Dictionary<string, ColumnType> ParseTypes(IEnumerable<string> pairs)
    {
        var result = new Dictionary<string, ColumnType>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var split = pair.LastIndexOf('=');
            var type = split > 0 ? pair[(split + 1)..].Trim().ToLowerInvariant() : "";
            result[split > 0 ? pair[..split] : pair] = type switch
            {
                "numeric" => ColumnType.Numeric,
                "categorical" => ColumnType.Categorical,
                "boolean" => ColumnType.Boolean,
                "text" => ColumnType.Text,
                "date" => ColumnType.Date,
                _ => throw new CliException($"--type {pair}: expected COLUMN=numeric|categorical|boolean|text|date"),
            };
        }
        return result;
    }

    /// <summary>
    /// Streams the file in <see cref="ChunkSize"/> chunks after a header that carries its SHA-256, so the
    /// store can check that it received exactly these bytes.
    /// </summary>
    private static async Task<Dataset> UploadAsync(
        Terminal terminal, GatewayConnection gateway, FileInfo file, UploadDatasetHeader header, bool showProgress, CancellationToken cancellationToken)
    {
        await using (var hashed = file.OpenRead())
            header.Sha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(hashed, cancellationToken));

        using var call = gateway.Datasets.UploadDataset(cancellationToken: cancellationToken);
        await call.RequestStream.WriteAsync(new UploadDatasetRequest { Header = header }, cancellationToken);

        await using var source = file.OpenRead();
        if (showProgress)
        {
            await terminal.Out.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask($"Uploading {Markup.Escape(file.Name)}", maxValue: Math.Max(1, source.Length));
                    await SendChunksAsync(call, source, sent => task.Increment(sent), cancellationToken);
                    task.Value = task.MaxValue;
                });
        }
        else
        {
            await SendChunksAsync(call, source, _ => { }, cancellationToken);
        }
        return await call.ResponseAsync;
    }

    private static async Task SendChunksAsync(
        AsyncClientStreamingCall<UploadDatasetRequest, Dataset> call, Stream source, Action<int> sent, CancellationToken cancellationToken)
    {
        var buffer = new byte[ChunkSize];
        try
        {
            int read;
            while ((read = await source.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken)) > 0)
            {
                // Wrapped, not copied: the client has serialized the message by the time WriteAsync completes, and
                // the buffer is refilled only after that.
                await call.RequestStream.WriteAsync(new UploadDatasetRequest { Chunk = UnsafeByteOperations.UnsafeWrap(buffer.AsMemory(0, read)) }, cancellationToken);
                sent(read);
            }
            await call.RequestStream.CompleteAsync();
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // The platform ended the call early (for example it rejected the file); its status, awaited by the
            // caller through ResponseAsync, says why, which the failed write does not.
        }
    }

    private static void Print(IAnsiConsole console, Dataset dataset)
    {
        console.Write(Tables.Details(
        [
            ("Dataset", dataset.Id),
            ("Name", dataset.Name),
            ("Format", dataset.Format.ToString().ToLowerInvariant()),
            ("Rows", dataset.RowCount),
            ("Columns", dataset.Columns.Count),
            ("Size", Formats.Size(dataset.SizeBytes)),
            ("SHA-256", dataset.Sha256),
            ("Created", Formats.Time(dataset.CreatedAt)),
        ]));
        var columns = Tables.Create("Column", "Type", "Missing", "Sensitive");
        foreach (var column in dataset.Columns)
            columns.Row(column.Name, column.Type.ToString().ToLowerInvariant(), column.MissingCount, column.Sensitive ? "yes" : "");
        console.Write(columns);
    }
}
