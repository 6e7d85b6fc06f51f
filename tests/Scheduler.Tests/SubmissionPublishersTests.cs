using Microsoft.Extensions.Options;
using Platform.Scheduler.Messaging;
using Platform.ServiceDefaults.Errors;

namespace Platform.Scheduler.Tests;

/// <summary>Whose a message-queue submission is: the broker-vouched RabbitMQ user's tenant, never merely the body's claim.</summary>
public sealed class SubmissionPublishersTests
{
    private static SubmissionPublishers Publishers(SubmissionOptions options) =>
        new(new StaticOptionsMonitor(options));

    private static SubmissionDelivery FromBroker(string? userId) => new(ThroughBroker: true, userId, "m-1", "c-1");

    private static readonly SubmissionOptions TwoTenants = new()
    {
        Publishers = new() { ["tenant-acme"] = "acme", ["tenant-beta"] = "beta" },
    };

    [Fact]
    public void A_listed_user_publishes_for_its_tenant_and_may_leave_the_tenant_out_or_name_it()
    {
        var publisher = Publishers(TwoTenants).Identify(FromBroker("tenant-acme"));

        Assert.Equal("acme", publisher.TenantId);
        Assert.Equal("acme", publisher.TenantOf(null));
        Assert.Equal("acme", publisher.TenantOf("acme"));
    }

    [Fact]
    public void A_body_naming_another_tenant_than_the_publishers_is_refused_on_tenant_id()
    {
        var publisher = Publishers(TwoTenants).Identify(FromBroker("tenant-acme"));

        var error = Assert.Throws<InvalidArgumentException>(() => publisher.TenantOf("beta"));
        Assert.Equal("tenant_id", error.Field);
        Assert.Contains("tenant-acme", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("guest")]
    [InlineData("Tenant-Acme")] // RabbitMQ user names are case-sensitive
    public void A_delivery_without_a_listed_user_is_unidentified(string? userId)
    {
        Assert.Throws<UnidentifiedSubmissionException>(() => Publishers(TwoTenants).Identify(FromBroker(userId)));
    }

    [Fact]
    public void Without_configuration_no_broker_delivery_is_accepted()
    {
        Assert.Throws<UnidentifiedSubmissionException>(() => Publishers(new SubmissionOptions()).Identify(FromBroker("tenant-acme")));
    }

    [Fact]
    public void A_trusted_single_tenant_deployment_takes_every_broker_delivery_as_its_tenants()
    {
        var publishers = Publishers(new SubmissionOptions { TrustedTenant = "acme" });

        Assert.Equal("acme", publishers.Identify(FromBroker(null)).TenantOf(null));
        Assert.Throws<InvalidArgumentException>(() => publishers.Identify(FromBroker("tenant-beta")).TenantOf("beta"));
    }

    [Fact]
    public void An_in_process_delivery_is_believed_as_the_body_says()
    {
        var publisher = Publishers(TwoTenants).Identify(new SubmissionDelivery(ThroughBroker: false, null, null, null));

        Assert.Equal("beta", publisher.TenantOf("beta"));
        Assert.Equal("default", publisher.TenantOf(null));
    }

    [Fact]
    public void Configuration_with_a_malformed_tenant_or_both_modes_is_refused()
    {
        var validation = new SubmissionOptionsValidation();

        Assert.True(validation.Validate(null, TwoTenants).Succeeded);
        var malformed = validation.Validate(null, new SubmissionOptions { Publishers = new() { ["tenant-acme"] = "ACME Inc" } });
        Assert.Contains("Messaging:Submission:Publishers:tenant-acme", malformed.FailureMessage, StringComparison.Ordinal);
        var both = validation.Validate(null, new SubmissionOptions { TrustedTenant = "acme", Publishers = TwoTenants.Publishers });
        Assert.True(both.Failed);
    }

    private sealed class StaticOptionsMonitor(SubmissionOptions value) : IOptionsMonitor<SubmissionOptions>
    {
        public SubmissionOptions CurrentValue => value;

        public SubmissionOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<SubmissionOptions, string?> listener) => null;
    }
}
