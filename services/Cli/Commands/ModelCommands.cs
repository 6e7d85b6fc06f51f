using System.CommandLine;
using System.Text.Json;
using System.Security.Cryptography;
using Grpc.Core;
using Platform.Cli.Output;
using Platform.Models.V1;
using Platform.Transfers;
using Spectre.Console;

namespace Platform.Cli.Commands;

/// <summary><c>models list | versions | show | compare | download | card | card-edit | monitor</c>.</summary>
public static class ModelCommands
{
    public static Command Create(CommandRunner run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return new Command("models", "Registered models, their versions and artifacts")
        {
            List(run),
            Versions(run),
            Show(run),
            Compare(run),
            Download(run),
            Card(run),
            CardEdit(run),
            Monitor(run),
        };
    }

    private static Command List(CommandRunner run)
    {
        var command = new Command("list", "List the tenant's models with their latest version");
        run.SetAction(command, async (_, gateway, cancellationToken) =>
        {
            var models = await Tables.AllPagesAsync<Model>(async token =>
            {
                var page = await gateway.Models.ListModelsAsync(new ListModelsRequest { PageToken = token }, cancellationToken: cancellationToken);
                return (page.Models, page.NextPageToken);
            });
            var table = Tables.Create("Model", "Latest version", "Updated");
            foreach (var model in models) table.Row(model.Name, model.LatestVersion, Formats.Time(model.UpdatedAt));
            run.Terminal.Out.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Versions(CommandRunner run)
    {
        var name = new Argument<string>("name") { Description = "Model name" };
        var command = new Command("versions", "List a model's versions, newest first, with their metrics") { name };
        run.SetAction(command, async (parse, gateway, cancellationToken) =>
        {
            var request = new ListModelVersionsRequest { ModelName = parse.GetRequiredValue(name) };
            var versions = await Tables.AllPagesAsync<ModelVersion>(async token =>
            {
                request.PageToken = token;
                var page = await gateway.Models.ListModelVersionsAsync(request, cancellationToken: cancellationToken);
                return (page.Versions, page.NextPageToken);
            });
            var table = Tables.Create("Version", "Job", "Trainer", "Metrics", "Created");
            // Overall metrics only; per-class ones (name[class]) are in 'jobs show'.
            foreach (var v in versions)
                table.Row(v.Version, v.JobId, v.Trainer, Formats.Metrics(v.Metrics.Where(m => !m.Key.Contains('[', StringComparison.Ordinal))), Formats.Time(v.CreatedAt));
            run.Terminal.Out.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Argument<string> Reference() =>
        new("reference") { Description = "The version: name (the latest), name:version or name@alias" };

    private static Command Show(CommandRunner run)
    {
        var reference = Reference();
        var command = new Command("show", "Show a version with its evaluation: metrics (mean ± std for a cross-validation), per-class figures, confusion matrix") { reference };
        run.SetAction(command, async (parse, gateway, cancellationToken) =>
        {
            var (version, evaluation) = await ResolveWithEvaluationAsync(gateway, parse.GetRequiredValue(reference), cancellationToken);
            using (evaluation)
                ModelEvaluationReport.Print(run.Terminal, version, evaluation);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Compare(CommandRunner run)
    {
        var references = new Argument<string[]>("references")
        {
            Description = "Two or more versions: name (the latest), name:version or name@alias",
            Arity = new ArgumentArity(2, 20),
        };
        var command = new Command("compare",
            "Versions side by side: trainer, hyperparameters, preparation, data set, evaluation method, metrics (the better one marked), confusion matrices")
        {
            references,
        };
        run.SetAction(command, async (parse, gateway, cancellationToken) =>
        {
            var comparison = await gateway.Models.CompareModelVersionsAsync(
                new CompareModelVersionsRequest { References = { parse.GetRequiredValue(references) } }, cancellationToken: cancellationToken);
            ModelComparison.Print(run.Terminal, comparison);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The version a reference names and its evaluation.json, or null when it has none (an upload).</summary>
    private static async Task<(ModelVersion Version, JsonDocument? Evaluation)> ResolveWithEvaluationAsync(
        GatewayConnection gateway, string reference, CancellationToken cancellationToken)
    {
        var version = await gateway.Models.ResolveModelAsync(new ResolveModelRequest { Reference = reference }, cancellationToken: cancellationToken);
        if (!version.Artifacts.Any(a => a.Kind == EvaluationArtifact))
            return (version, null);
        using var call = gateway.Models.DownloadModelVersion(new DownloadModelVersionRequest
        {
            ModelName = version.ModelName, Version = version.Version, Artifact = EvaluationArtifact,
        }, cancellationToken: cancellationToken);
        return (version, JsonDocument.Parse(await ReadVerifiedAsync(call.ResponseStream, cancellationToken)));
    }

    private static Command Monitor(CommandRunner run)
    {
        var reference = Reference();
        var window = new Option<int>("--window") { Description = "Window length in minutes (default: the service's, 60)", HelpName = "minutes" };
        var windows = new Option<int>("--windows") { Description = "How many windows up to now (default 24)", HelpName = "n" };
        var chart = new Option<FileInfo?>("--chart") { Description = "Write feature drift (PSI) over the windows as a PNG here (default: <name>-<version>-drift.png)", HelpName = "file" };
        var noChart = new Option<bool>("--no-chart") { Description = "Do not ask for the picture" };
        var command = new Command("monitor",
            "How a served version is doing: per-feature and prediction drift against its training data (PSI, KS, chi²) and live quality from reported outcomes, per window")
        {
            reference, window, windows, chart, noChart,
        };
        run.SetAction(command, async (parse, gateway, cancellationToken) =>
        {
            var draw = !parse.GetValue(noChart);
            var monitoring = await gateway.Predictions.GetModelMonitoringAsync(new Platform.Serving.V1.GetModelMonitoringRequest
            {
                Model = parse.GetRequiredValue(reference), WindowMinutes = parse.GetValue(window), Windows = parse.GetValue(windows), IncludeChart = draw,
            }, cancellationToken: cancellationToken);
            MonitoringReport.Print(run.Terminal, monitoring);
            if (draw && !monitoring.DriftChartPng.IsEmpty)
            {
                var path = Path.GetFullPath(parse.GetValue(chart)?.FullName ?? $"{monitoring.ModelName}-{monitoring.Version}-drift.png");
                await File.WriteAllBytesAsync(path, monitoring.DriftChartPng.ToByteArray(), cancellationToken);
                run.Terminal.Out.WriteLine($"Drift chart: {path}");
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Card(CommandRunner run)
    {
        var reference = Reference();
        var output = new Option<DirectoryInfo?>("--out", "-o") { Description = "Folder to write card.md and images/ into (default: <name>-<version>-card)", HelpName = "dir" };
        var command = new Command("card", "Download a version's model card: card.md and its PNG pictures") { reference, output };
        run.SetAction(command, async (parse, gateway, cancellationToken) =>
        {
            var card = await gateway.Models.GetModelCardAsync(new GetModelCardRequest { Reference = parse.GetRequiredValue(reference) }, cancellationToken: cancellationToken);
            var folder = Path.GetFullPath(parse.GetValue(output)?.FullName ?? $"{card.ModelName}-{card.Version}-card");
            var written = ModelCardFiles.Write(card, folder);
            run.Terminal.Out.Write(Tables.Details(
            [
                ("Model", $"{card.ModelName} version {card.Version}"),
                ("Folder", folder),
                ("Files", string.Join("\n", written)),
                ("Bundle SHA-256", card.BundleSha256.Length == 0
                    ? "none: written by the store from its record of the version (an uploaded model)"
                    : $"{card.BundleSha256} (verified by the store)"),
            ]));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CardEdit(CommandRunner run)
    {
        var reference = Reference();
        var intendedUse = new Option<string?>("--intended-use") { Description = "What the model is for (Markdown); \"\" clears it", HelpName = "text" };
        var limitations = new Option<string?>("--limitations") { Description = "Where the model should not be trusted (Markdown); \"\" clears it", HelpName = "text" };
        var privacy = new Option<string?>("--privacy") { Description = "Privacy notes: personal or sensitive inputs, columns left out (Markdown); \"\" clears it", HelpName = "text" };
        // No --actor: the platform records the authenticated caller (the API key's name) as the writer.
        var command = new Command("card-edit", "Write the intended use, limitations and privacy notes of a version's model card")
        {
            reference, intendedUse, limitations, privacy,
        };
        run.SetAction(command, async (parse, gateway, cancellationToken) =>
        {
            var request = new UpdateModelCardRequest { Reference = parse.GetRequiredValue(reference) };
            if (parse.GetValue(intendedUse) is { } use) request.IntendedUse = use;
            if (parse.GetValue(limitations) is { } limits) request.Limitations = limits;
            if (parse.GetValue(privacy) is { } notes) request.Privacy = notes;
            var fields = await gateway.Models.UpdateModelCardAsync(request, cancellationToken: cancellationToken);
            run.Terminal.Out.Write(Tables.Details(
            [
                ("Intended use", fields.IntendedUse),
                ("Limitations", fields.Limitations),
                ("Privacy notes", fields.Privacy),
                ("Written by", $"{fields.UpdatedBy}, {Formats.Time(fields.UpdatedAt)}"),
            ]));
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The worker's evaluation.json (see docs/training.md).</summary>
    private const string EvaluationArtifact = "evaluation";

    /// <summary>Reads a small artifact into memory, checking its size and SHA-256 against the description the store sent first.</summary>
    private static async Task<byte[]> ReadVerifiedAsync(IAsyncStreamReader<ArtifactChunk> chunks, CancellationToken cancellationToken)
    {
        if (!await chunks.MoveNext(cancellationToken) || chunks.Current.Artifact is not { } artifact)
            throw new CliException("the download did not start with the artifact's description");
        using var bytes = new MemoryStream();
        do chunks.Current.Data.WriteTo(bytes);
        while (await chunks.MoveNext(cancellationToken));
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes.GetBuffer().AsSpan(0, (int)bytes.Length)));
        if (bytes.Length != artifact.SizeBytes || !string.Equals(sha256, artifact.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new CliException($"DataLoss: the {artifact.Kind} artifact arrived with SHA-256 {sha256}, but the store reported {artifact.Sha256}");
        return bytes.ToArray();
    }

    private static Command Download(CommandRunner run)
    {
        var name = new Argument<string>("name") { Description = "Model name" };
        var version = new Option<int>("--version") { Description = "Version to download (default: the latest)", HelpName = "n" };
        var artifact = new Option<string>("--artifact")
        {
            Description = "Which artifact: the ML.NET model, the evaluated rows' predictions CSV, the ONNX model (when the version has one), " +
                "evaluation.json or the model card bundle",
            DefaultValueFactory = _ => "model",
        };
        artifact.AcceptOnlyFromAmong([.. ArtifactExtensions.Keys]);
        var output = new Option<FileInfo?>("--output", "-o") { Description = "File to write (default: the artifact's file name)", HelpName = "file" };
        var command = new Command("download", "Download an artifact of a model version and verify its SHA-256") { name, version, artifact, output };
        run.SetAction(command, async (parse, gateway, cancellationToken) =>
        {
            var request = new DownloadModelVersionRequest
            {
                ModelName = parse.GetRequiredValue(name),
                Version = parse.GetValue(version),
                Artifact = parse.GetRequiredValue(artifact),
            };
            (string Path, long Size, string Sha256) saved;
            if (gateway.Transfers is { } transfers)
            {
                saved = await SaveOverByteStreamAsync(transfers, parse.GetValue(output), request, cancellationToken);
            }
            else
            {
                using var call = gateway.Models.DownloadModelVersion(request, cancellationToken: cancellationToken);
                var streamed = await SaveVerifiedAsync(call.ResponseStream, parse.GetValue(output), request, cancellationToken);
                saved = (streamed.Path, streamed.Artifact.SizeBytes, streamed.Artifact.Sha256);
            }
            run.Terminal.Out.Write(Tables.Details(
            [
                ("Saved", saved.Path),
                ("Size", Formats.Size(saved.Size)),
                ("SHA-256", $"{saved.Sha256} (verified)"),
            ]));
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// Writes the stream to a temporary file next to the target while hashing it, and moves it into place only
    /// when size and SHA-256 match what the store reported: a failed download never leaves a file that looks whole.
    /// </summary>
    public static async Task<(string Path, Artifact Artifact)> SaveVerifiedAsync(
        IAsyncStreamReader<ArtifactChunk> chunks, FileInfo? output, DownloadModelVersionRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        ArgumentNullException.ThrowIfNull(request);
        if (!await chunks.MoveNext(cancellationToken) || chunks.Current.Artifact is not { } artifact)
            throw new CliException("the download did not start with the artifact's description");

        var target = Path.GetFullPath(output?.FullName ?? DefaultFileName(artifact, request));
        var partial = target + ".partial";
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long size = 0;
        try
        {
            await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true))
            {
                do
                {
                    var data = chunks.Current.Data.Memory;
                    hash.AppendData(data.Span);
                    await file.WriteAsync(data, cancellationToken);
                    size += data.Length;
                } while (await chunks.MoveNext(cancellationToken));
            }

            var sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (size != artifact.SizeBytes || !string.Equals(sha256, artifact.Sha256, StringComparison.OrdinalIgnoreCase))
                throw new CliException(
                    $"DataLoss: received {size} bytes with SHA-256 {sha256}, but the store reported {artifact.SizeBytes} bytes with SHA-256 {artifact.Sha256}; nothing was saved");
            File.Move(partial, target, overwrite: true);
            return (target, artifact);
        }
        finally
        {
            File.Delete(partial);
        }
    }

    /// <summary>
    /// Downloads over the gateway's byte stream (plain HTTP/1.1): the bytes go to a temporary file next to the target,
    /// hashed on one thread while another writes, and move into place only when size and SHA-256 match the response's
    /// <c>Content-Length</c> and <c>Repr-Digest</c>.
    /// </summary>
    public static async Task<(string Path, long Size, string Sha256)> SaveOverByteStreamAsync(
        ByteStreamClient transfers, FileInfo? output, DownloadModelVersionRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transfers);
        ArgumentNullException.ThrowIfNull(request);
        var reference = request.Version > 0 ? $"{request.ModelName}:{request.Version}" : request.ModelName;
        // The file name comes with the response; until then the bytes go to a temporary name in the target's folder.
        var folder = Path.GetDirectoryName(Path.GetFullPath(output?.FullName ?? "download")) ?? ".";
        var partial = Path.Combine(folder, $".{request.ModelName}-{request.Artifact}.{Guid.NewGuid():N}.partial");
        try
        {
            var saved = await transfers.DownloadAsync(ByteStream.ArtifactPath(reference, request.Artifact), partial, cancellationToken);
            var artifact = new Artifact { Kind = request.Artifact, FileName = saved.FileName ?? "" };
            var target = Path.GetFullPath(output?.FullName ?? DefaultFileName(artifact, request));
            File.Move(partial, target, overwrite: true);
            return (target, saved.SizeBytes, saved.Sha256);
        }
        finally
        {
            File.Delete(partial);
        }
    }

    private static string DefaultFileName(Artifact artifact, DownloadModelVersionRequest request) =>
        !string.IsNullOrEmpty(artifact.FileName)
            ? Path.GetFileName(artifact.FileName) // Never let a reported name point outside the current folder.
            : $"{request.ModelName}-{artifact.Kind}{ArtifactExtensions.GetValueOrDefault(artifact.Kind, "")}";

    /// <summary>The artifact kinds a trained version has (ModelService.DownloadModelVersion), with the extension of their files.</summary>
    private static readonly Dictionary<string, string> ArtifactExtensions = new(StringComparer.Ordinal)
    {
        ["model"] = ".zip", ["predictions"] = ".csv", ["onnx"] = ".onnx", [EvaluationArtifact] = ".json", ["model_card"] = ".zip",
    };
}
