#include "somacue_bus.h"

#define MPRIS_PATH "/org/mpris/MediaPlayer2"

static int on_method(sd_bus_message *m, void *userdata, sd_bus_error *error) {
    somacue_bus_handlers *h = userdata;
    return h->method(m, h->context, error);
}

static int on_get(sd_bus *bus, const char *path, const char *interface, const char *property,
                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
    somacue_bus_handlers *h = userdata;
    return h->get(bus, path, interface, property, reply, h->context, error);
}

static int on_set(sd_bus *bus, const char *path, const char *interface, const char *property,
                  sd_bus_message *value, void *userdata, sd_bus_error *error) {
    somacue_bus_handlers *h = userdata;
    return h->set(bus, path, interface, property, value, h->context, error);
}

#define CHANGES SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE
#define FIXED SD_BUS_VTABLE_PROPERTY_CONST

static const sd_bus_vtable root_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("Raise", "", "", on_method, 0),
    SD_BUS_METHOD("Quit", "", "", on_method, 0),
    SD_BUS_PROPERTY("CanQuit", "b", on_get, 0, FIXED),
    SD_BUS_PROPERTY("CanRaise", "b", on_get, 0, FIXED),
    SD_BUS_PROPERTY("HasTrackList", "b", on_get, 0, FIXED),
    SD_BUS_PROPERTY("Identity", "s", on_get, 0, FIXED),
    SD_BUS_PROPERTY("DesktopEntry", "s", on_get, 0, FIXED),
    SD_BUS_PROPERTY("SupportedUriSchemes", "as", on_get, 0, FIXED),
    SD_BUS_PROPERTY("SupportedMimeTypes", "as", on_get, 0, FIXED),
    SD_BUS_VTABLE_END
};

static const sd_bus_vtable player_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("Next", "", "", on_method, 0),
    SD_BUS_METHOD("Previous", "", "", on_method, 0),
    SD_BUS_METHOD("Pause", "", "", on_method, 0),
    SD_BUS_METHOD("PlayPause", "", "", on_method, 0),
    SD_BUS_METHOD("Stop", "", "", on_method, 0),
    SD_BUS_METHOD("Play", "", "", on_method, 0),
    SD_BUS_METHOD("Seek", "x", "", on_method, 0),
    SD_BUS_METHOD("SetPosition", "ox", "", on_method, 0),
    SD_BUS_METHOD("OpenUri", "s", "", on_method, 0),
    SD_BUS_SIGNAL("Seeked", "x", 0),
    SD_BUS_PROPERTY("PlaybackStatus", "s", on_get, 0, CHANGES),
    SD_BUS_PROPERTY("Rate", "d", on_get, 0, FIXED),
    SD_BUS_PROPERTY("MinimumRate", "d", on_get, 0, FIXED),
    SD_BUS_PROPERTY("MaximumRate", "d", on_get, 0, FIXED),
    SD_BUS_PROPERTY("Metadata", "a{sv}", on_get, 0, CHANGES),
    SD_BUS_WRITABLE_PROPERTY("Volume", "d", on_get, on_set, 0, CHANGES),
    // Position changes all the time: clients read it and extrapolate (MPRIS says so).
    SD_BUS_PROPERTY("Position", "x", on_get, 0, 0),
    SD_BUS_PROPERTY("CanGoNext", "b", on_get, 0, CHANGES),
    SD_BUS_PROPERTY("CanGoPrevious", "b", on_get, 0, CHANGES),
    SD_BUS_PROPERTY("CanPlay", "b", on_get, 0, CHANGES),
    SD_BUS_PROPERTY("CanPause", "b", on_get, 0, CHANGES),
    SD_BUS_PROPERTY("CanSeek", "b", on_get, 0, CHANGES),
    SD_BUS_PROPERTY("CanControl", "b", on_get, 0, FIXED),
    SD_BUS_VTABLE_END
};

int somacue_mpris_add_object(sd_bus *bus, somacue_bus_handlers *handlers,
                             sd_bus_slot **root_slot, sd_bus_slot **player_slot) {
    int r = sd_bus_add_object_vtable(bus, root_slot, MPRIS_PATH, "org.mpris.MediaPlayer2", root_vtable, handlers);
    if (r < 0) return r;
    r = sd_bus_add_object_vtable(bus, player_slot, MPRIS_PATH, "org.mpris.MediaPlayer2.Player", player_vtable, handlers);
    if (r < 0) {
        *root_slot = sd_bus_slot_unref(*root_slot);
        return r;
    }
    return 0;
}
