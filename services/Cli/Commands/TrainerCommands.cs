using System.CommandLine;
using Platform.Cli.Output;
using Platform.Jobs.V1;

namespace Platform.Cli.Commands;

/// <summary><c>trainers list</c>.</summary>
public static class TrainerCommands
{
    public static Command Create(CommandRunner run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var task = TaskOption.Create("Only trainers for this task");
        var list = new Command("list", "List the trainers and their hyperparameters") { task };
        run.SetAction(list, async (parse, gateway, cancellationToken) =>
        {
            var response = await gateway.Jobs.ListTrainersAsync(new ListTrainersRequest { Task = parse.GetValue(task) }, cancellationToken: cancellationToken);
            var table = Tables.Create("Trainer", "Tasks", "Class weights for", "Hyperparameters (type = default [min, max])", "Description");
            foreach (var trainer in response.Trainers)
            {
                table.Row(
                    trainer.Name,
                    string.Join(", ", trainer.Tasks.Select(Formats.Task)),
                    trainer.ExampleWeightTasks.Count == 0 ? "-" : string.Join(", ", trainer.ExampleWeightTasks.Select(Formats.Task)),
                    string.Join("\n", trainer.Hyperparameters.Select(Describe)),
                    trainer.Description);
            }
            run.Terminal.Out.Write(table);
            return ExitCodes.Success;
        });
        return new Command("trainers", "What the platform can train with") { list };
    }

    private static string Describe(Hyperparameter parameter)
    {
        var range = parameter.Min.Length + parameter.Max.Length > 0 ? $" [{parameter.Min}, {parameter.Max}]" : "";
        return $"{parameter.Name}: {parameter.Type} = {parameter.DefaultValue}{range}";
    }
}
