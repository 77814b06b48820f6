using System.CommandLine;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Backup.Core;
using Backup.Core.Posix;

namespace Backup.Cli.Commands;

/// <summary>
/// <c>backup service install|uninstall|status</c>: the daemon as a systemd service (README "Running as a service",
/// docs/design.md "Running under systemd"). One service per catalog: it runs <c>backup daemon --watch</c> over that
/// catalog, so a second one (another catalog) needs its own <c>--name</c>.
/// </summary>
internal static partial class ServiceCommand
{
    /// <summary>The variable that writes units to another folder and never runs systemctl: for packaging and tests.</summary>
    public const string UnitDirVariable = "BACKUP_SYSTEMD_UNIT_DIR";

    /// <summary>The first line of every unit this command writes: uninstall removes no other file.</summary>
    public const string Marker = "# Written by `backup service install`";

    public static Command Create(CliContext context)
    {
        var command = new Command("service", "Run the daemon as a systemd service: install, uninstall, status");
        command.Subcommands.Add(ServiceInstall.Create(context));
        command.Subcommands.Add(CreateUninstall(context));
        command.Subcommands.Add(CreateStatus(context));
        return command;
    }

    public static Option<bool> User() => new("--user") { Description = "A user service ($XDG_CONFIG_HOME/systemd/user), started by your own systemd, rather than a system one (/etc/systemd/system)" };

    public static Option<string> Name() => new("--name")
    {
        Description = "The unit's name, for a second service over another catalog (default: backup, the unit backup.service)",
        HelpName = "NAME",
        DefaultValueFactory = _ => "backup",
    };

    /// <summary>The unit's file name: NAME.service, NAME made only of the characters unit names may hold.</summary>
    public static string UnitName(string name)
    {
        var bare = name.EndsWith(".service", StringComparison.Ordinal) ? name[..^".service".Length] : name;
        return UnitNamePattern().IsMatch(bare) ? bare + ".service"
            : throw new BackupException($"invalid service name '{name}': use letters, digits and - _ . : (such as backup-photos)", ExitCodes.Usage);
    }

    /// <summary>
    /// Where units go: $BACKUP_SYSTEMD_UNIT_DIR; else /etc/systemd/system, or for a user service
    /// $XDG_CONFIG_HOME/systemd/user (default ~/.config/systemd/user), where systemd looks for them.
    /// </summary>
    public static string UnitDirectory(CliContext context, bool user)
    {
        if (context.Variable(UnitDirVariable) is { Length: > 0 } chosen)
        {
            return context.FullPath(chosen);
        }
        if (!user)
        {
            return "/etc/systemd/system";
        }
        var config = context.Variable("XDG_CONFIG_HOME") is { Length: > 0 } xdg ? xdg : Path.Join(context.Home(), ".config");
        return context.FullPath(Path.Join(config, "systemd", "user"));
    }

    /// <summary>
    /// True when systemctl should be run: systemd is the init here (/run/systemd/system exists, as sd_booted(3) checks)
    /// and the units go where systemd reads them (no <see cref="UnitDirVariable"/>).
    /// </summary>
    public static bool ManagesUnits(CliContext context) =>
        string.IsNullOrEmpty(context.Variable(UnitDirVariable)) && Directory.Exists("/run/systemd/system");

    /// <summary>"systemctl --user ARGS" as the user would type it.</summary>
    public static string Systemctl(bool user, string args) => "systemctl" + (user ? " --user " : " ") + args;

    /// <summary>Runs systemctl, relaying what it prints; returns its exit code (127 when it cannot be started).</summary>
    public static int RunSystemctl(CliContext context, bool user, params string[] args)
    {
        var info = new ProcessStartInfo("systemctl") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        if (user)
        {
            info.ArgumentList.Add("--user");
        }
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        context.Output.WriteLine($"$ {Systemctl(user, string.Join(' ', args))}");
        try
        {
            using var process = Process.Start(info)!;
            var error = process.StandardError.ReadToEndAsync();
            context.Output.Write(process.StandardOutput.ReadToEnd());
            process.WaitForExit();
            context.Error.Write(error.Result);
            return process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            context.Error.WriteLine($"backup: cannot run systemctl: {e.Message}");
            return 127;
        }
    }

    private static Command CreateUninstall(CliContext context)
    {
        var user = User();
        var name = Name();
        var command = new Command("uninstall", "Stop and disable the service, and remove its unit") { user, name };
        command.SetAction(parse =>
        {
            var asUser = parse.GetValue(user);
            var unit = UnitName(parse.GetValue(name)!);
            var path = Path.Join(UnitDirectory(context, asUser), unit);
            if (!File.Exists(path))
            {
                throw new BackupException($"no service {unit}: {Formatting.Path(path)} does not exist" + (asUser ? "" : " (a user service is removed with --user)"));
            }
            if (!File.ReadLines(path).FirstOrDefault("").StartsWith(Marker, StringComparison.Ordinal))
            {
                throw new BackupException($"{Formatting.Path(path)} was not written by 'backup service install': it is left alone");
            }
            var managed = ManagesUnits(context);
            if (managed && RunSystemctl(context, asUser, "disable", "--now", unit) != 0)
            {
                context.Error.WriteLine($"backup: warning: {Systemctl(asUser, "disable --now " + unit)} failed; removing the unit anyway");
            }
            File.Delete(path);
            PosixFile.FlushDirectory(Path.GetDirectoryName(path)!);
            context.Output.WriteLine($"removed {Formatting.Path(path)}");
            if (managed)
            {
                RunSystemctl(context, asUser, "daemon-reload");
            }
            else if (string.IsNullOrEmpty(context.Variable(UnitDirVariable)))
            {
                context.Output.WriteLine($"systemd is not running here; where it runs the service, also run: {Systemctl(asUser, "disable --now " + unit)}");
            }
            context.Output.WriteLine("the catalog and the archives are kept");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command CreateStatus(CliContext context)
    {
        var user = User();
        var name = Name();
        var command = new Command("status", "Show the service's state and its last log lines (systemctl status)") { user, name };
        command.SetAction(parse =>
        {
            var asUser = parse.GetValue(user);
            var unit = UnitName(parse.GetValue(name)!);
            var path = Path.Join(UnitDirectory(context, asUser), unit);
            context.Output.WriteLine(File.Exists(path) ? $"unit: {Formatting.Path(path)}" : $"unit: none ({Formatting.Path(path)} does not exist)");
            if (!Directory.Exists("/run/systemd/system"))
            {
                throw new BackupException("systemd is not running here (no /run/systemd/system): no service state to show");
            }
            // systemctl status exits 3 for a stopped unit: its state is the answer, not a failure of this command.
            var exit = RunSystemctl(context, asUser, "status", "--no-pager", unit);
            return exit is 0 or 3 ? ExitCodes.Ok : ExitCodes.Failure;
        });
        return command;
    }

    [GeneratedRegex("^[A-Za-z0-9_.:-]+$")]
    private static partial Regex UnitNamePattern();
}
