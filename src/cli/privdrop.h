/* privdrop.h - giving up root once the live captures are open. */
#ifndef CW_PRIVDROP_H
#define CW_PRIVDROP_H

#include <stddef.h>

/**
 * Become @p user for good: its supplementary groups (initgroups), its group, its user id (real,
 * effective and saved), then check that setuid(0) now fails and set PR_SET_NO_NEW_PRIVS. Call
 * it after the captures (and anything else that needs root) are open and before reading
 * packets or starting threads (glibc applies it to all threads, but nothing should run as root
 * meanwhile). Open descriptors stay usable; files opened later need the user's permissions.
 * @p user is a name, or a numeric uid when no user has that name.
 * Returns 0, or a CW_E* code with the reason in @p err: "no such user 'x'" (CW_ENOTFOUND),
 * "cannot become user 'x': setuid 1000: Operation not permitted" (CW_EIO), or that user 'root'
 * is no drop at all (CW_EINVAL).
 */
int cw_drop_privileges(const char *user, char *err, size_t errlen);

#endif
