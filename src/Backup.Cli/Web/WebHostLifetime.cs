using Microsoft.Extensions.Hosting;

namespace Backup.Cli.Web;

/// <summary>
/// The web host's lifetime: none of its own. The daemon already turns SIGINT and SIGTERM into cancellation and stops
/// the server then; the host's console lifetime would take those signals too.
/// </summary>
internal sealed class WebHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
