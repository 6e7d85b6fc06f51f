using Platform.Sweeps.V1;

namespace Platform.Faults.Tests;

public sealed partial class FaultPlatform
{
    /// <summary>The sweep API of the first scheduler replica.</summary>
    public SweepService.SweepServiceClient Sweeps => new(_schedulerChannel);
}
