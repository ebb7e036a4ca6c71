/*
 * Calls that casetrail never makes. Each one either overflows silently
 * (strcpy, sprintf), keeps hidden state (strtok, localtime, gmtime) or
 * cannot report a parse error (atoi). Using one is a compile error.
 * Included last by common.h, after the system headers that declare them.
 */
#ifndef CASETRAIL_BANNED_H
#define CASETRAIL_BANNED_H

#define BANNED(name) sorry_##name##_is_a_banned_function

#undef strcpy
#define strcpy(...) BANNED(strcpy)
#undef strcat
#define strcat(...) BANNED(strcat)
#undef strncpy
#define strncpy(...) BANNED(strncpy)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(...) BANNED(strtok)
#undef localtime
#define localtime(...) BANNED(localtime)
#undef gmtime
#define gmtime(...) BANNED(gmtime)
#undef ctime
#define ctime(...) BANNED(ctime)
#undef asctime
#define asctime(...) BANNED(asctime)
#undef atoi
#define atoi(...) BANNED(atoi)
#undef atol
#define atol(...) BANNED(atol)
#undef atoll
#define atoll(...) BANNED(atoll)

#endif
