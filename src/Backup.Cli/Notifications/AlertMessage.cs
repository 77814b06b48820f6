using System.Globalization;
using System.Text.Json;
using Backup.Core.Monitoring;

namespace Backup.Cli.Notifications;

/// <summary>
/// An <see cref="Alert"/> as the daemon hands it on (docs/design.md, "Notifications"): a JSON object for the webhook,
/// and the same fields as <c>BACKUP_*</c> environment variables for the commands. The names are permanent.
/// </summary>
internal static class AlertMessage
{
    /// <summary>The webhook's body: UTF-8 JSON with snake_case names; a field without a value is null.</summary>
    public static byte[] ToJson(Alert alert, string host)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
        {
            w.WriteStartObject();
            foreach (var (name, value) in Fields(alert, host))
            {
                if (value is null)
                {
                    w.WriteNull(name);
                }
                else
                {
                    w.WriteString(name, value);
                }
            }
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>The commands' variables: <c>BACKUP_EVENT</c>, <c>BACKUP_PATH</c>, …; a field without a value is empty.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Environment(Alert alert, string host) =>
        Fields(alert, host).Select(f => KeyValuePair.Create("BACKUP_" + f.Name.ToUpperInvariant(), f.Value ?? ""));

    private static IEnumerable<(string Name, string? Value)> Fields(Alert alert, string host)
    {
        yield return ("event", alert.Event.ToString().ToLowerInvariant());
        yield return ("path", alert.Path);
        yield return ("kind", alert.Kind.ToString().ToLowerInvariant());
        yield return ("error", alert.Error);
        yield return ("snapshot", alert.Snapshot);
        yield return ("since", Time(alert.Since));
        yield return ("time", Time(alert.Time));
        yield return ("host", host);
    }

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
}
