using Xunit;

namespace Backup.Testing;

/// <summary>
/// A [Fact] that needs the S3 test server (<see cref="TestServers.S3"/>): skipped, with the missing
/// variable as the reason, when it is not configured, unless BACKUP_TEST_REQUIRE_SERVERS=1 (CI), where it
/// always runs so that a missing server fails it.
/// </summary>
/// <remarks>
/// xunit 2 instantiates the attribute at discovery and reads <see cref="FactAttribute.Skip"/> from the
/// instance, so setting it in the constructor works; an explicit Skip = "..." at the use site still wins.
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class S3FactAttribute : FactAttribute
{
    public S3FactAttribute()
    {
        if (!TestServers.Required && TestServers.S3SkipReason is { } reason)
        {
            Skip = reason;
        }
    }
}
