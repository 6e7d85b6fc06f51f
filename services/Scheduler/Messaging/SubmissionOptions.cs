using Microsoft.Extensions.Options;
using Platform.ServiceDefaults.Errors;
using Platform.ServiceDefaults.Tenancy;

namespace Platform.Scheduler.Messaging;

/// <summary>
/// Whose submissions the public queue accepts, bound from <c>Messaging:Submission</c> (docs/messaging.md). Over
/// RabbitMQ a submission belongs to the tenant of its publisher: the RabbitMQ user named by the message's
/// <c>user_id</c> property, which the broker checks against the user of the publishing connection, so a publisher
/// cannot claim to be another. What the body's <c>tenantId</c> says is never enough on its own.
/// </summary>
public sealed class SubmissionOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Messaging:Submission";

    /// <summary>
    /// RabbitMQ user name → tenant id (<c>Messaging:Submission:Publishers:&lt;user&gt;</c>, e.g. the environment variable
    /// <c>Messaging__Submission__Publishers__tenant-acme=acme</c>). User names are compared exactly. A submission
    /// whose <c>user_id</c> is missing or not listed here is not accepted.
    /// </summary>
    public Dictionary<string, string> Publishers { get; set; } = [];

    /// <summary>
    /// For a deployment of one tenant whose broker only its own trusted systems reach
    /// (<c>Messaging:Submission:TrustedTenant</c>): every submission belongs to this tenant, with or without
    /// <c>user_id</c>. Unset by default; cannot be combined with <see cref="Publishers"/>.
    /// </summary>
    public string? TrustedTenant { get; set; }
}

/// <summary>Refuses, at start-up, a mapping to a malformed tenant id or both ways of naming the tenant at once.</summary>
internal sealed class SubmissionOptionsValidation : IValidateOptions<SubmissionOptions>
{
    public ValidateOptionsResult Validate(string? name, SubmissionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (!string.IsNullOrEmpty(options.TrustedTenant))
        {
            Check(options.TrustedTenant, $"{SubmissionOptions.Section}:{nameof(SubmissionOptions.TrustedTenant)}");
            if (options.Publishers.Count > 0)
                failures.Add($"{SubmissionOptions.Section}:{nameof(SubmissionOptions.TrustedTenant)} and " +
                    $"{SubmissionOptions.Section}:{nameof(SubmissionOptions.Publishers)} are both set; a single-tenant deployment needs no publisher map.");
        }
        foreach (var (user, tenant) in options.Publishers)
            Check(tenant, $"{SubmissionOptions.Section}:{nameof(SubmissionOptions.Publishers)}:{user}");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Check(string tenant, string key)
        {
            try
            {
                Tenant.Validate(tenant, key);
            }
            catch (InvalidArgumentException ex)
            {
                failures.Add(ex.Message);
            }
        }
    }
}
