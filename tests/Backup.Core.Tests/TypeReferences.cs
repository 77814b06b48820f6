using System.Reflection;
using System.Reflection.Emit;

namespace Backup.Core.Tests;

/// <summary>
/// The types of one assembly that a type refers to: its base type and interfaces, the types of its fields, properties,
/// events, method and constructor signatures and attributes, their generic arguments, and what its method bodies name
/// (read from the IL: every type, field and method token). Nested and compiler-generated types (async state machines,
/// closure classes) are types of their own; <see cref="OwnerOf"/> maps them to the type written in the source.
/// </summary>
internal static class TypeReferences
{
    private const BindingFlags Declared = BindingFlags.DeclaredOnly | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;

    private static readonly Dictionary<short, OpCode> s_opCodes = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>The outermost declaring type of <paramref name="type"/>: where its code is written.</summary>
    public static Type OwnerOf(Type type)
    {
        while (type.DeclaringType is { } outer)
        {
            type = outer;
        }
        return type;
    }

    /// <summary>Every type of <paramref name="type"/>'s own assembly that it refers to, itself excluded.</summary>
    public static HashSet<Type> Of(Type type)
    {
        var found = new HashSet<Type>();
        void Add(Type? t)
        {
            if (t is null)
            {
                return;
            }
            if (t.HasElementType)
            {
                Add(t.GetElementType());
                return;
            }
            if (t.IsGenericType && !t.IsGenericTypeDefinition)
            {
                foreach (var argument in t.GetGenericArguments())
                {
                    Add(argument);
                }
                t = t.GetGenericTypeDefinition();
            }
            if (t.IsGenericParameter || t.Assembly != type.Assembly || t == type)
            {
                return;
            }
            found.Add(t);
        }
        void AddAttributes(MemberInfo member)
        {
            foreach (var attribute in member.CustomAttributes)
            {
                Add(attribute.AttributeType);
                foreach (var argument in attribute.ConstructorArguments.Concat(attribute.NamedArguments.Select(n => n.TypedValue)))
                {
                    Add(argument.Value as Type);
                }
            }
        }

        Add(type.BaseType);
        foreach (var i in type.GetInterfaces())
        {
            Add(i);
        }
        AddAttributes(type);
        foreach (var field in type.GetFields(Declared))
        {
            Add(field.FieldType);
            AddAttributes(field);
        }
        foreach (var property in type.GetProperties(Declared))
        {
            Add(property.PropertyType);
            AddAttributes(property);
        }
        foreach (var e in type.GetEvents(Declared))
        {
            Add(e.EventHandlerType);
        }
        foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
        {
            AddAttributes(method);
            if (method is MethodInfo m)
            {
                Add(m.ReturnType);
            }
            foreach (var parameter in method.GetParameters())
            {
                Add(parameter.ParameterType);
            }
            if (method.IsGenericMethodDefinition)
            {
                foreach (var constraint in method.GetGenericArguments().SelectMany(a => a.GetGenericParameterConstraints()))
                {
                    Add(constraint);
                }
            }
            foreach (var member in MembersInBody(method))
            {
                switch (member)
                {
                    case Type t:
                        Add(t);
                        break;
                    case FieldInfo f:
                        Add(f.DeclaringType);
                        Add(f.FieldType);
                        break;
                    case MethodBase b:
                        Add(b.DeclaringType);
                        if (b is MethodInfo called)
                        {
                            Add(called.ReturnType);
                            if (called.IsGenericMethod)
                            {
                                foreach (var argument in called.GetGenericArguments())
                                {
                                    Add(argument);
                                }
                            }
                        }
                        foreach (var parameter in b.GetParameters())
                        {
                            Add(parameter.ParameterType);
                        }
                        break;
                }
            }
        }
        return found;
    }

    /// <summary>The types, fields and methods that <paramref name="method"/>'s IL names; tokens that do not resolve are skipped.</summary>
    private static IEnumerable<MemberInfo> MembersInBody(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            yield break;
        }
        var typeArguments = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        var at = 0;
        while (at < il.Length)
        {
            short value = il[at++];
            if (value == 0xFE)
            {
                value = unchecked((short)(0xFE00 | il[at++]));
            }
            if (!s_opCodes.TryGetValue(value, out var opCode))
            {
                throw new InvalidOperationException($"unknown opcode 0x{value:X} in {method.DeclaringType}.{method.Name}");
            }
            var operand = at;
            at += OperandSize(opCode.OperandType, il, at);
            if (opCode.OperandType is OperandType.InlineType or OperandType.InlineTok or OperandType.InlineField or OperandType.InlineMethod)
            {
                var token = BitConverter.ToInt32(il, operand);
                MemberInfo? resolved;
                try
                {
                    resolved = method.Module.ResolveMember(token, typeArguments, methodArguments);
                }
                catch (Exception e) when (e is ArgumentException or BadImageFormatException or TypeLoadException or FileNotFoundException or MissingMemberException)
                {
                    resolved = null;
                }
                if (resolved is not null)
                {
                    yield return resolved;
                }
            }
        }
    }

    private static int OperandSize(OperandType type, byte[] il, int at) => type switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + (4 * BitConverter.ToInt32(il, at)),
        _ => 4,
    };
}
