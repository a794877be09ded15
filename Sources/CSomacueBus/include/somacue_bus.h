#ifndef SOMACUE_BUS_H
#define SOMACUE_BUS_H

// The MPRIS object's sd-bus vtables. sd-bus describes an object with static tables built by C
// macros (SD_BUS_METHOD, SD_BUS_PROPERTY, ...), which Swift cannot expand; this target builds
// them once and routes every method call, property read and property write to three handlers
// that the Swift side (SomacueMPRIS) provides.

#include <systemd/sd-bus.h>

typedef struct somacue_bus_handlers {
    /// Every method of both interfaces; the member name tells which.
    sd_bus_message_handler_t method;
    /// Every property read; `interface` and `property` tell which.
    sd_bus_property_get_t get;
    /// Writes of the writable properties (Player.Volume).
    sd_bus_property_set_t set;
    /// Passed to the three handlers as their userdata.
    void *context;
} somacue_bus_handlers;

/// Adds org.mpris.MediaPlayer2 and org.mpris.MediaPlayer2.Player at /org/mpris/MediaPlayer2.
/// `handlers` must stay valid until both slots are unreferenced. Returns 0 or a negative errno.
int somacue_mpris_add_object(sd_bus *bus, somacue_bus_handlers *handlers,
                             sd_bus_slot **root_slot, sd_bus_slot **player_slot);

#endif
