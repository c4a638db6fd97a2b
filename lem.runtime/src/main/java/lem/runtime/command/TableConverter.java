package lem.runtime.command;

import org.apache.felix.service.command.Converter;
import org.osgi.service.component.annotations.Component;

/** Lets the Gogo shell print every {@link Table} result of a {@code lem:} command as a table. */
@Component(service = Converter.class)
public class TableConverter implements Converter {

    @Override
    public Object convert(Class<?> desiredType, Object in) {
        return null; // formats only
    }

    @Override
    public CharSequence format(Object target, int level, Converter escape) {
        if (target instanceof Table table) {
            return level == Converter.PART ? table.title() : TableFormat.render(table);
        }
        return null;
    }
}
