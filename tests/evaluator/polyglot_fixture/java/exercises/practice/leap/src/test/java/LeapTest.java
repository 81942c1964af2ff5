import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

public class LeapTest {

    private Leap leap;

    @BeforeEach
    public void setup() {
        leap = new Leap();
    }

    @Test
    public void testYearNotDivBy4InCommonYear() {
        assertThat(leap.isLeapYear(2015)).isFalse();
    }

    @Disabled("Remove to run test")
    @Test
    public void testYearDivBy4NotDivBy100InLeapYear() {
        assertThat(leap.isLeapYear(1996)).isTrue();
    }

    @Disabled("Remove to run test")
    @Test
    public void testYearDivBy100NotDivBy400InCommonYear() {
        assertThat(leap.isLeapYear(2100)).isFalse();
    }

}
