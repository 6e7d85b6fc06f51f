using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Platform.Contracts;
using Platform.Scheduler.Jobs;

namespace Platform.Scheduler.Data;

internal sealed class TrainingJobConfiguration : IEntityTypeConfiguration<TrainingJob>
{
    // Wider than the names accepted today (JobSubmission.MaxModelNameLength, 100): rows written before that rule keep theirs.
    private const int ModelNameColumnLength = 128;

    public void Configure(EntityTypeBuilder<TrainingJob> builder)
    {
        builder.ToTable("training_jobs");
        builder.HasKey(j => j.Id);
        builder.Property(j => j.Id).HasColumnName("id").ValueGeneratedNever();
        builder.Property(j => j.TenantId).HasColumnName("tenant_id").HasMaxLength(63).IsRequired();
        builder.Property(j => j.RequestId).HasColumnName("request_id").HasMaxLength(JobSubmission.MaxRequestIdLength);

        builder.ComplexProperty(j => j.Spec, spec =>
        {
            spec.Property(s => s.DatasetId).HasColumnName("dataset_id");
            spec.Property(s => s.Task).HasColumnName("task").HasMaxLength(32);
            spec.Property(s => s.LabelColumn).HasColumnName("label_column");
            spec.Property(s => s.Trainer).HasColumnName("trainer").HasMaxLength(64);
            spec.Property(s => s.Hyperparameters).HasColumnName("hyperparameters")
                .HasConversion(JsonText.Converter<IReadOnlyDictionary<string, string>>(), JsonText.Comparer<IReadOnlyDictionary<string, string>>());
            spec.Property(s => s.Seed).HasColumnName("seed");
            spec.Property(s => s.ModelName).HasColumnName("model_name").HasMaxLength(ModelNameColumnLength);
            spec.Property(s => s.HoldoutFraction).HasColumnName("holdout_fraction");
            spec.Property(s => s.Priority).HasColumnName("priority");
            spec.Property(s => s.Queue).HasColumnName("queue").HasMaxLength(JobSubmission.MaxQueueNameLength);
            spec.Property(s => s.MaxRunSeconds).HasColumnName("max_run_seconds");
            // Optional JSON columns: EF Core stores null as NULL without calling the converter (hence the "!").
            spec.Property(s => s.Preparation).HasColumnName("preparation")
                .HasConversion(JsonText.Converter<PreparationSpec>()!, JsonText.Comparer<PreparationSpec>());
            spec.Property(s => s.Evaluation).HasColumnName("evaluation")
                .HasConversion(JsonText.Converter<EvaluationOptions>()!, JsonText.Comparer<EvaluationOptions>());
        });

        builder.Property(j => j.DatasetSha256).HasColumnName("dataset_sha256").HasMaxLength(64);
        builder.Property(j => j.RerunOf).HasColumnName("rerun_of");
        builder.Property(j => j.SweepId).HasColumnName("sweep_id");
        builder.Property(j => j.TrialNumber).HasColumnName("trial_number");
        builder.Property(j => j.EvaluateOnly).HasColumnName("evaluate_only");
        builder.Property(j => j.EstimatedRunSeconds).HasColumnName("estimated_run_seconds");
        builder.Property(j => j.ParentJobId).HasColumnName("parent_job_id");
        builder.Property(j => j.Fold).HasColumnName("fold");
        builder.Property(j => j.AwaitingFolds).HasColumnName("awaiting_folds");
        builder.Property(j => j.FoldsSucceeded).HasColumnName("folds_succeeded");
        builder.Property(j => j.FoldOutcomes).HasColumnName("fold_outcomes")
            .HasConversion(JsonText.Converter<IReadOnlyList<FoldOutcome>>()!, JsonText.Comparer<IReadOnlyList<FoldOutcome>>());

        builder.Property(j => j.State).HasColumnName("state").HasConversion<string>().HasMaxLength(16);
        builder.Property(j => j.Attempt).HasColumnName("attempt");
        builder.Property(j => j.Progress).HasColumnName("progress");
        builder.Property(j => j.Stage).HasColumnName("stage");
        builder.Property(j => j.FailureReason).HasColumnName("failure_reason");
        builder.Property(j => j.Source).HasColumnName("source").HasMaxLength(16);
        builder.Property(j => j.Worker).HasColumnName("worker").HasMaxLength(256);
        builder.Property(j => j.CreatedAt).HasColumnName("created_at");
        builder.Property(j => j.StartedAt).HasColumnName("started_at");
        builder.Property(j => j.FinishedAt).HasColumnName("finished_at");
        builder.Property(j => j.DispatchedAt).HasColumnName("dispatched_at");
        builder.Property(j => j.LastSequence).HasColumnName("last_sequence");
        builder.Property(j => j.LastReportAt).HasColumnName("last_report_at");
        builder.Property(j => j.LastEventAt).HasColumnName("last_event_at");
        builder.Property(j => j.NotBefore).HasColumnName("not_before");
        builder.Property(j => j.LeaseExpiresAt).HasColumnName("lease_expires_at");
        builder.Property(j => j.DeadlineAt).HasColumnName("deadline_at");
        builder.Property(j => j.CommitGrantedAt).HasColumnName("commit_granted_at");
        builder.Property(j => j.FailedAttempts).HasColumnName("failed_attempts");
        builder.Property(j => j.Version).HasColumnName("version").IsConcurrencyToken();
        builder.Ignore(j => j.HoldsSlot);
        builder.Ignore(j => j.CanCancel);

        builder.ComplexProperty(j => j.Result, result =>
        {
            result.Property(r => r.ModelName).HasColumnName("result_model_name").HasMaxLength(ModelNameColumnLength);
            result.Property(r => r.ModelVersion).HasColumnName("result_model_version");
            result.Property(r => r.Metrics).HasColumnName("metrics")
                .HasConversion(JsonText.Converter<IReadOnlyDictionary<string, double>>(), JsonText.Comparer<IReadOnlyDictionary<string, double>>());
            result.Property(r => r.ModelSha256).HasColumnName("model_sha256").HasMaxLength(64);
            result.Property(r => r.TrainingSeconds).HasColumnName("training_seconds");
            result.Property(r => r.Evaluation).HasColumnName("evaluation_result")
                .HasConversion(JsonText.Converter<EvaluationResult>()!, JsonText.Comparer<EvaluationResult>());
            result.Property(r => r.Fold).HasColumnName("fold_outcome")
                .HasConversion(JsonText.Converter<FoldOutcome>()!, JsonText.Comparer<FoldOutcome>());
        });

        builder.HasIndex(j => new { j.TenantId, j.RequestId }).IsUnique().HasDatabaseName("ix_training_jobs_tenant_request");
        // ListJobs: newest first within a tenant, optionally by state.
        builder.HasIndex(j => new { j.TenantId, j.CreatedAt, j.Id }).HasDatabaseName("ix_training_jobs_tenant_created");
        // The dispatch pass and the supervisor look for queued jobs without a slot, and for jobs holding one.
        builder.HasIndex(j => new { j.State, j.DispatchedAt }).HasDatabaseName("ix_training_jobs_state_dispatched");
        // A sweep's jobs; unique, so a trial is stored once even if two scheduler replicas suggest it at the same moment.
        builder.HasIndex(j => new { j.SweepId, j.TrialNumber, j.EvaluateOnly }).IsUnique().HasDatabaseName("ix_training_jobs_sweep_trial");
        // A job's folds; unique, so two scheduler replicas storing a job's folds at the same moment store each once.
        builder.HasIndex(j => new { j.ParentJobId, j.Fold }).IsUnique().HasDatabaseName("ix_training_jobs_parent_fold");
    }
}

/// <summary>JSON kept in a <c>text</c> column, so the same model works on SQLite.</summary>
internal static class JsonText
{
    // Metrics may be NaN (for example AUC on a one-class holdout); plain JSON has no literal for it.
    private static readonly JsonSerializerOptions Options = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<T, string> Converter<T>()
        where T : class
        => new(value => JsonSerializer.Serialize(value, Options), text => JsonSerializer.Deserialize<T>(text, Options)!);

    /// <summary>Compares by content, so EF Core notices a changed dictionary.</summary>
    public static ValueComparer<T> Comparer<T>()
        where T : class
        => new(
            (left, right) => JsonSerializer.Serialize(left, Options) == JsonSerializer.Serialize(right, Options),
            value => JsonSerializer.Serialize(value, Options).GetHashCode(StringComparison.Ordinal),
            value => value);
}
