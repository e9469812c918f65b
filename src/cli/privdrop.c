/* privdrop.c - give up root after opening the captures (privdrop.h). */
#include "cli/privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "util/error.h"

static const struct passwd *lookup(const char *user)
{
    const struct passwd *pw = getpwnam(user);
    if (pw || !*user || strspn(user, "0123456789") != strlen(user))
        return pw;
    char *end;
    errno = 0;
    unsigned long uid = strtoul(user, &end, 10);
    if (errno || *end || uid != (uid_t)uid)
        return NULL;
    return getpwuid((uid_t)uid);
}

int cw_drop_privileges(const char *user, char *err, size_t errlen)
{
    if (!user || !*user) {
        snprintf(err, errlen, "no user given to run as");
        return CW_EINVAL;
    }
    const struct passwd *pw = lookup(user);
    if (!pw) {
        snprintf(err, errlen, "no such user '%s'", user);
        return CW_ENOTFOUND;
    }
    /* getpwnam's buffer is overwritten by initgroups (it reads the group file): copy first */
    uid_t uid = pw->pw_uid;
    gid_t gid = pw->pw_gid;
    char name[256];
    snprintf(name, sizeof name, "%s", pw->pw_name);
    if (uid == 0) {
        snprintf(err, errlen, "user '%s' is root: running as it drops no privilege", user);
        return CW_EINVAL;
    }
    if (initgroups(name, gid) != 0) {
        snprintf(err, errlen, "cannot become user '%s': initgroups: %s", user, strerror(errno));
        return CW_EIO;
    }
    if (setgid(gid) != 0) {
        snprintf(err, errlen, "cannot become user '%s': setgid %u: %s", user, (unsigned)gid,
                 strerror(errno));
        return CW_EIO;
    }
    if (setuid(uid) != 0) {
        snprintf(err, errlen, "cannot become user '%s': setuid %u: %s", user, (unsigned)uid,
                 strerror(errno));
        return CW_EIO;
    }
    /* setuid from root sets all three ids and clears the capabilities; make sure of it */
    if (setuid(0) == 0 || getuid() != uid || geteuid() != uid || getegid() != gid) {
        snprintf(err, errlen, "cannot become user '%s': root could be regained", user);
        return CW_EIO;
    }
    /* no execve can raise privileges again (cardwatch runs none; a belt for the braces) */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        snprintf(err, errlen, "became user '%s' but PR_SET_NO_NEW_PRIVS failed: %s", user,
                 strerror(errno));
        return CW_EIO;
    }
    return 0;
}
