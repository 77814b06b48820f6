using System.Net;
using System.Text;
using System.Text.Json;
using Backup.Cli.Notifications;
using Backup.Core.Monitoring;
using Backup.Testing.Logging;
using Microsoft.Extensions.Logging;

namespace Backup.Cli.Tests.Notifications;

/// <summary><see cref="WebhookSender"/> against a real HTTP receiver on loopback.</summary>
public sealed class WebhookSenderTests
{
    private readonly ListLogger<WebhookSenderTests> _log = new();

    private static readonly WebhookSettings s_fast = new() { FirstDelay = TimeSpan.FromMilliseconds(20), AttemptTimeout = TimeSpan.FromSeconds(20) };

    private static Alert Failure(string path = "/data/docs") =>
        new(AlertEvent.Failure, path, FailureKind.Destination, "the repository at /mnt/r is missing", new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Enqueue_FirstRequestFails_RetriedAndTheSameJsonArrives()
    {
        using var hook = new LoopbackHook(n => n == 1 ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.NoContent);
        var sender = new WebhookSender(new Uri(hook.Url("ops:s%3Acret@")), "host1", _log, TimeProvider.System, s_fast);

        sender.Enqueue(Failure());
        Poll.Until(() => _log.Entries.Any(e => e.Message.Contains("sent the failure", StringComparison.Ordinal)), "the webhook to be sent",
            describe: () => string.Join('\n', _log.Entries));
        await sender.DisposeAsync();

        var requests = hook.Requests.ToList();
        Assert.Equal(2, requests.Count);
        Assert.All(requests, r => Assert.Equal(("POST", "/hooks/backup?channel=ops", "application/json; charset=utf-8"), (r.Method, r.Target, r.ContentType)));
        Assert.All(requests, r => Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("ops:s:cret")), r.Authorization));
        Assert.Equal(requests[0].Body, requests[1].Body);
        using var json = JsonDocument.Parse(requests[1].Body);
        var fields = json.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.Null ? null : p.Value.GetString());
        Assert.Equal(new Dictionary<string, string?>
        {
            ["event"] = "failure", ["path"] = "/data/docs", ["kind"] = "destination", ["error"] = "the repository at /mnt/r is missing", ["snapshot"] = null,
            ["since"] = "2026-12-01T09:00:00.000Z", ["time"] = "2026-12-01T10:00:00.000Z", ["host"] = "host1",
        }, fields);
        Assert.Contains(_log.Entries, e => e.Level == LogLevel.Warning && e.Message.StartsWith($"webhook http://127.0.0.1:{hook.Port}: HTTP 503; trying again in", StringComparison.Ordinal));
        Assert.DoesNotContain(_log.Entries, e => e.Message.Contains("s%3Acret", StringComparison.Ordinal) || e.Message.Contains("channel", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Enqueue_ReceiverHangs_NeverBlocksAndStopsAfterTheDrainTimeout()
    {
        using var hook = new LoopbackHook(_ => null);
        var settings = s_fast with { Capacity = 2, Retries = 1, AttemptTimeout = TimeSpan.FromMilliseconds(300), DrainTimeout = TimeSpan.FromSeconds(1) };
        var sender = new WebhookSender(new Uri(hook.Url()), "h", _log, TimeProvider.System, settings);

        sender.Enqueue(Failure("/a"));
        Poll.Until(() => !hook.Requests.IsEmpty, "the first request");
        foreach (var path in new[] { "/b", "/c", "/d", "/e" })
        {
            sender.Enqueue(Failure(path));
        }
        Poll.Until(() => _log.Entries.Any(e => e.Message.Contains("gave up the failure of /a", StringComparison.Ordinal)), "the first alert to be given up",
            describe: () => string.Join('\n', _log.Entries));
        await sender.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        var messages = _log.Entries.Select(e => e.Message).ToList();
        Assert.Contains(messages, m => m.Contains("too many alerts waiting; dropped the failure of /b", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("dropped the failure of /c", StringComparison.Ordinal));
        Assert.True(hook.Requests.Count >= 2, "each try of /a reached the receiver");
    }
}
