#!/usr/bin/python3
"""nm_mock.py -- drive a python-dbusmock NetworkManager (template "networkmanager")
on the bus in $DBUS_SYSTEM_BUS_ADDRESS, for tests/net/t_wifi_nm_mock.sh.

This kernel has no Wi-Fi, so a real NetworkManager cannot show a Wi-Fi device;
the mock speaks NetworkManager's D-Bus API for one, so the source's Wi-Fi path
(Device.Wireless.ActiveAccessPoint, AccessPoint Ssid/RsnFlags, the profile's
GetSettings, Device.Disconnect) runs over a real bus.

    nm_mock.py add-wifi NAME IFNAME          a Wi-Fi device (disconnected) with Disconnect()
    nm_mock.py join NAME SSID_HEX RSN [hidden]
                                             join: an access point (Ssid bytes, RsnFlags;
                                             "hidden": empty Ssid), its profile, an active
                                             connection, the device ACTIVATED
    nm_mock.py disconnects NAME              how many times Disconnect() was called
    nm_mock.py state NAME                    the device's State
"""
import sys

import dbus

NM = 'org.freedesktop.NetworkManager'
MOCK = 'org.freedesktop.DBus.Mock'
DEVICE = NM + '.Device'
WIRELESS = NM + '.Device.Wireless'
DEVICES = '/org/freedesktop/NetworkManager/Devices/'
TEMPLATE = '/org/freedesktop'  # where the template's own methods live

# Device.Disconnect as NetworkManager does it: leave, DISCONNECTED, StateChanged.
DISCONNECT = (
    "self.Set('" + DEVICE + "', 'ActiveConnection', dbus.ObjectPath('/'))\n"
    "self.Set('" + DEVICE + "', 'State', dbus.UInt32(30))\n"
    "self.EmitSignal('" + DEVICE + "', 'StateChanged', 'uuu',"
    " [dbus.UInt32(30), dbus.UInt32(100), dbus.UInt32(39)])\n")


def mock(bus, path):
    return dbus.Interface(bus.get_object(NM, path), MOCK)


def key_mgmt(rsn):
    if rsn & 0x2000:
        return 'wpa-eap-suite-b-192'
    if rsn & 0x200:
        return 'wpa-eap'
    if rsn & 0x400:
        return 'sae'
    if rsn & 0x100:
        return 'wpa-psk'
    return None


def add_wifi(bus, name, ifname):
    mock(bus, TEMPLATE).AddWiFiDevice(name, ifname, dbus.Int32(30))
    dev = mock(bus, DEVICES + name)
    dev.AddProperty(WIRELESS, 'ActiveAccessPoint', dbus.ObjectPath('/'))
    dev.AddMethod(DEVICE, 'Disconnect', '', '', DISCONNECT)


def join(bus, name, ssid_hex, rsn, hidden):
    ssid = bytes.fromhex(ssid_hex)
    tag = name + '_' + ssid_hex[:16] + '_' + str(rsn)
    root = mock(bus, TEMPLATE)
    ap_path = '/org/freedesktop/NetworkManager/AccessPoint/' + tag
    root.AddObject(ap_path, NM + '.AccessPoint', {
        'Ssid': dbus.ByteArray(b'' if hidden else ssid),
        'Flags': dbus.UInt32(1 if rsn else 0),
        'WpaFlags': dbus.UInt32(0),
        'RsnFlags': dbus.UInt32(rsn),
        'Strength': dbus.Byte(80),
    }, [])
    settings = {'connection': {'type': '802-11-wireless', 'id': tag},
                '802-11-wireless': {'ssid': dbus.ByteArray(ssid)}}
    if key_mgmt(rsn):
        settings['802-11-wireless-security'] = {'key-mgmt': key_mgmt(rsn)}
    profile = '/org/freedesktop/NetworkManager/Settings/' + tag
    root.AddObject(profile, NM + '.Settings.Connection', {},
                   [('GetSettings', '', 'a{sa{sv}}', 'ret = ' + settings_code(settings))])
    active = '/org/freedesktop/NetworkManager/ActiveConnection/' + tag
    root.AddObject(active, NM + '.Connection.Active', {
        'Connection': dbus.ObjectPath(profile),
        'SpecificObject': dbus.ObjectPath(ap_path),
        'Devices': dbus.Array([dbus.ObjectPath(DEVICES + name)], signature='o'),
        'State': dbus.UInt32(2),
    }, [])
    props = dbus.Interface(bus.get_object(NM, DEVICES + name), dbus.PROPERTIES_IFACE)
    props.Set(WIRELESS, 'ActiveAccessPoint', dbus.ObjectPath(ap_path))
    root.SetDeviceActive(DEVICES + name, active)


def settings_code(settings):
    """Python source for the settings dict, with SSIDs as dbus.ByteArray."""
    parts = []
    for setting, values in settings.items():
        inner = []
        for key, value in values.items():
            if isinstance(value, (bytes, bytearray)):
                inner.append(repr(key) + ': dbus.ByteArray(' + repr(bytes(value)) + ')')
            else:
                inner.append(repr(key) + ': ' + repr(value))
        parts.append(repr(setting) + ': {' + ', '.join(inner) + '}')
    return '{' + ', '.join(parts) + '}'


def main(argv):
    bus = dbus.SystemBus()
    cmd, name = argv[1], argv[2]
    if cmd == 'add-wifi':
        add_wifi(bus, name, argv[3])
    elif cmd == 'join':
        join(bus, name, argv[3], int(argv[4], 0), len(argv) > 5 and argv[5] == 'hidden')
    elif cmd == 'disconnects':
        print(len(mock(bus, DEVICES + name).GetMethodCalls('Disconnect')))
    elif cmd == 'state':
        props = dbus.Interface(bus.get_object(NM, DEVICES + name), dbus.PROPERTIES_IFACE)
        print(int(props.Get(DEVICE, 'State')))
    else:
        sys.exit('nm_mock.py: unknown command ' + cmd)


if __name__ == '__main__':
    main(sys.argv)
