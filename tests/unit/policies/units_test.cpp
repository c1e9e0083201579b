// Units as policies write them: sizes, durations, CPUs and rates.
#include "policies/units.hpp"

#include <gtest/gtest.h>

#include <cstdint>

using namespace policies::units;
using std::chrono::milliseconds;

TEST(ParseSize, BinaryAndDecimalSuffixes) {
  EXPECT_EQ(parse_size("1024"), 1024u);
  EXPECT_EQ(parse_size("512B"), 512u);
  EXPECT_EQ(parse_size("64KiB"), 64u * 1024);
  EXPECT_EQ(parse_size("512MiB"), 512ull << 20);
  EXPECT_EQ(parse_size("2GiB"), 2ull << 30);
  EXPECT_EQ(parse_size("1TiB"), 1ull << 40);
  EXPECT_EQ(parse_size("1KB"), 1000u);
  EXPECT_EQ(parse_size("1kB"), 1000u);
  EXPECT_EQ(parse_size("3MB"), 3000000u);
  EXPECT_EQ(parse_size("1GB"), 1000000000u);
}

TEST(ParseSize, SingleLetterSuffixesArePowersOf1024InEitherCase) {
  EXPECT_EQ(parse_size("64k"), 64u * 1024);
  EXPECT_EQ(parse_size("64K"), 64u * 1024);
  EXPECT_EQ(parse_size("1M"), 1ull << 20);
  EXPECT_EQ(parse_size("1m"), 1ull << 20);
  EXPECT_EQ(parse_size("1G"), 1ull << 30);
  EXPECT_EQ(parse_size("2t"), 2ull << 40);
}

TEST(ParseSize, FractionsAndSpaces) {
  EXPECT_EQ(parse_size("1.5GiB"), 3ull << 29);
  EXPECT_EQ(parse_size("0.5KiB"), 512u);
  EXPECT_EQ(parse_size(" 512 MiB "), 512ull << 20);
  EXPECT_EQ(parse_size("0"), 0u);
}

TEST(ParseSize, RejectsWhatIsNotASize) {
  for (const char* bad : {"", "MiB", "-1", "+1", "1.", "1..5M", "1e6", "0x10", "inf", "nan",
                          "12 34", "1 GiBs", "1mib", "1Mi", "1 b", "10%", "1,5G", "١"}) {
    EXPECT_EQ(parse_size(bad), std::nullopt) << bad;
  }
}

TEST(ParseSize, RejectsOverflow) {
  EXPECT_EQ(parse_size("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(parse_size("18446744073709551616"), std::nullopt);
  EXPECT_EQ(parse_size("16777216TiB"), std::nullopt);  // 2^64
  EXPECT_EQ(parse_size(std::string(400, '9')), std::nullopt);
}

TEST(ParseDuration, UnitsAndBareSeconds) {
  EXPECT_EQ(parse_duration("500ms"), milliseconds(500));
  EXPECT_EQ(parse_duration("60s"), milliseconds(60000));
  EXPECT_EQ(parse_duration("2m"), milliseconds(120000));
  EXPECT_EQ(parse_duration("1h"), milliseconds(3600000));
  EXPECT_EQ(parse_duration("1.5s"), milliseconds(1500));
  EXPECT_EQ(parse_duration("30"), milliseconds(30000));
  EXPECT_EQ(parse_duration("0.25"), milliseconds(250));
  EXPECT_EQ(parse_duration("0s"), milliseconds(0));
}

TEST(ParseDuration, Compounds) {
  EXPECT_EQ(parse_duration("1h30m"), milliseconds(5400000));
  EXPECT_EQ(parse_duration("1m30s"), milliseconds(90000));
  EXPECT_EQ(parse_duration("2s500ms"), milliseconds(2500));
}

TEST(ParseDuration, RejectsWhatIsNotADuration) {
  for (const char* bad :
       {"", "s", "-1s", "1x", "1 d", "1S", "1sec", "1ms5", "1h 30m", "inf", "1e3s"}) {
    EXPECT_EQ(parse_duration(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(parse_duration("99999999999999999999h"), std::nullopt);
}

TEST(ParseCpus, PercentagesAndBareCpus) {
  EXPECT_DOUBLE_EQ(*parse_cpus("150%"), 1.5);
  EXPECT_DOUBLE_EQ(*parse_cpus("50%"), 0.5);
  EXPECT_DOUBLE_EQ(*parse_cpus("0.5"), 0.5);
  EXPECT_DOUBLE_EQ(*parse_cpus("2"), 2.0);
  EXPECT_DOUBLE_EQ(*parse_cpus("12.5%"), 0.125);
}

TEST(ParseCpus, SignsParseSoThatValidationCanNameTheProblem) {
  EXPECT_DOUBLE_EQ(*parse_cpus("-50%"), -0.5);
  EXPECT_DOUBLE_EQ(*parse_cpus("0%"), 0.0);
}

TEST(ParseCpus, RejectsWhatIsNotCpus) {
  for (const char* bad : {"", "%", "1%%", "one", "1cpu", "inf", "nan", "1e2", "50 %x"}) {
    EXPECT_EQ(parse_cpus(bad), std::nullopt) << bad;
  }
}

TEST(ParseRate, TcUnits) {
  EXPECT_EQ(parse_rate("100mbit"), 100000000u);
  EXPECT_EQ(parse_rate("10kbit"), 10000u);
  EXPECT_EQ(parse_rate("1gbit"), 1000000000u);
  EXPECT_EQ(parse_rate("1Gbit"), 1000000000u);
  EXPECT_EQ(parse_rate("12500000"), 12500000u);
  EXPECT_EQ(parse_rate("800bit"), 800u);
  EXPECT_EQ(parse_rate("1mibit"), 1048576u);
  EXPECT_EQ(parse_rate("1.5mbit"), 1500000u);
}

TEST(ParseRate, BpsCountsBytesAsTcDoes) {
  EXPECT_EQ(parse_rate("1bps"), 8u);
  EXPECT_EQ(parse_rate("1kbps"), 8000u);
  EXPECT_EQ(parse_rate("10mbps"), 80000000u);
}

TEST(ParseRate, RejectsWhatIsNotARate) {
  for (const char* bad : {"", "mbit", "-1mbit", "100mb", "100 mbits", "fast", "1e9"}) {
    EXPECT_EQ(parse_rate(bad), std::nullopt) << bad;
  }
}
