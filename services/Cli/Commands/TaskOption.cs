using System.CommandLine;
using Platform.Cli.Output;
using Platform.Jobs.V1;

namespace Platform.Cli.Commands;

/// <summary>The <c>--task binary|multiclass|regression</c> option.</summary>
internal static class TaskOption
{
    public static Option<TrainingTask> Create(string description)
    {
        var option = new Option<TrainingTask>("--task")
        {
            Description = description,
            HelpName = string.Join('|', Formats.Tasks.Keys),
            CustomParser = result => Formats.Tasks.GetValueOrDefault(result.Tokens[0].Value),
        };
        option.AcceptOnlyFromAmong([.. Formats.Tasks.Keys]);
        return option;
    }
}
